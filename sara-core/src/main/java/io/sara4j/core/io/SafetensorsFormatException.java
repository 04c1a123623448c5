package io.sara4j.core.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file is not a valid safetensors file. The message always starts with the file and then states
 * the problem precisely (which tensor, what was expected, what was found), because the usual fix is
 * to re-export one specific file.
 */
public final class SafetensorsFormatException extends IOException {
    private final transient Path file;

    /** {@code problem} is appended to the file name, e.g. "tensor 'w': unsupported dtype 'F8'". */
    public SafetensorsFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /** As {@link #SafetensorsFormatException(Path, String)}, keeping the parser's exception as cause. */
    public SafetensorsFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file that failed validation. */
    public Path file() {
        return file;
    }
}
