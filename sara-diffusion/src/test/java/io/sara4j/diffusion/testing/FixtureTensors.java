package io.sara4j.diffusion.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.io.SafetensorsFile;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/** Test resources: parity fixture folders on the class path and the tensors of their safetensors files. */
public final class FixtureTensors {
    private FixtureTensors() {}

    /** The folder of a test resource, e.g. {@code parity/clip_text_tiny}. */
    public static Path resource(String name) {
        try {
            return Path.of(FixtureTensors.class.getClassLoader().getResource(name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource missing: " + name, e);
        }
    }

    /** Every tensor of {@code file}, in file order and stored type, owned by {@code manager}. */
    public static Map<String, NDArray> read(Path file, NDManager manager) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return f.loadAll(manager, null);
        }
    }
}
