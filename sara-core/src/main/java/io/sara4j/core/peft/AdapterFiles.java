package io.sara4j.core.peft;

import ai.djl.ndarray.NDManager;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.nn.Module;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies adapter files of any sara4j method to a model at chosen scales (paper §4: P0 + α·ΔP, and
 * several adapters summed), telling the kinds apart by their {@code format} metadata.
 *
 * <p>Several sparse adapters (SaRA and the sparse baselines) are combined first and applied once,
 * because each is checked against the untouched base. A LoRA adapter is applied alone: after a
 * sparse or LoRA change the weights are no longer the base the next file was trained on.
 */
public final class AdapterFiles {
    private AdapterFiles() {}

    /** The {@code format} metadata of {@code file} ("sara4j.sparse-adapter" or "sara4j.lora-adapter"). */
    public static String format(Path file) {
        String format = formatOrNull(file);
        if (format == null) {
            throw new IllegalArgumentException(file + ": not a sara4j adapter (no \"format\" in its metadata)");
        }
        return format;
    }

    /** The {@code format} metadata of {@code file}, or {@code null} when it has none (a file from another tool). */
    public static String formatOrNull(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return f.metadata().get("format");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Sets the module's weights to base + Σ αᵢ·ΔPᵢ.
     *
     * @param scratch parent manager of the temporary adapter arrays (closed before returning)
     * @throws IllegalArgumentException if the lists differ in length, a file is not an adapter, LoRA
     *     is mixed with other files, or a file does not fit the module (naming the tensor)
     */
    public static void apply(Module module, List<Path> files, List<Double> scales, NDManager scratch) {
        if (files.size() != scales.size()) {
            throw new IllegalArgumentException("need one scale per adapter: " + files.size() + " adapters, "
                    + scales.size() + " scales");
        }
        if (files.isEmpty()) {
            return;
        }
        List<String> formats = files.stream().map(AdapterFiles::format).toList();
        if (formats.contains(Lora.FORMAT)) {
            if (files.size() > 1) {
                throw new IllegalArgumentException("a LoRA adapter can only be applied alone, got " + files
                        + " (merge it into the model first, then apply the others to the merged model)");
            }
            Lora.applyFile(module, files.get(0), scales.get(0));
            return;
        }
        for (int i = 0; i < files.size(); i++) {
            if (!SparseAdapter.FORMAT.equals(formats.get(i))) {
                throw new IllegalArgumentException(files.get(i) + ": unknown adapter format '" + formats.get(i)
                        + "' (supported: " + SparseAdapter.FORMAT + ", " + Lora.FORMAT + ")");
            }
        }
        try (NDManager manager = scratch.newSubManager()) {
            List<SparseAdapter> adapters = new ArrayList<>();
            for (Path file : files) {
                adapters.add(SparseAdapter.read(file, manager));
            }
            SparseAdapter.combine(adapters, scales).applyTo(module, 1.0);
        }
    }
}
