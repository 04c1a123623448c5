package io.sara4j.core.nn;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's resident memory as the Linux kernel counts it ({@code /proc/self/status}): what
 * the OS actually holds for the JVM, the engine's native tensors and the C allocator's free lists
 * together, which no in-process counter sees.
 */
public final class ProcessMemory {
    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {}

    /** Current resident set size in MiB ({@code VmRSS}). */
    public static double residentMiB() {
        return fieldMiB("VmRSS");
    }

    /** Peak resident set size since the process started, in MiB ({@code VmHWM}, the high-water mark). */
    public static double peakResidentMiB() {
        return fieldMiB("VmHWM");
    }

    /**
     * One {@code kB} field of {@code /proc/self/status} in MiB.
     *
     * @throws IllegalStateException off Linux, where the file does not exist
     */
    static double fieldMiB(String field) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(field + ":")) {
                    String kb = line.substring(field.length() + 1).trim();
                    if (!kb.endsWith(" kB")) {
                        throw new IllegalStateException(STATUS + ": expected '" + field + ": <n> kB', got '" + line + "'");
                    }
                    return Long.parseLong(kb.substring(0, kb.length() - 3).trim()) / 1024.0;
                }
            }
            throw new IllegalStateException(STATUS + " has no " + field + " line");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + STATUS + " (resident memory is measured on Linux only)", e);
        }
    }
}
