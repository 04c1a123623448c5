package io.sara4j.cli;

import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Module;
import io.sara4j.core.peft.AdapterFiles;
import io.sara4j.diffusion.export.ExportedLora;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --adapter FILE [--scale ALPHA]}, repeatable: adapters and the scale of each. */
final class AdapterOptions {
    @Option(names = "--adapter", paramLabel = "FILE", description = "Adapter file to apply (repeatable): a sara4j adapter, or a LoRA file in the diffusers/PEFT or kohya"
            + " layout (default: none).")
    List<Path> adapters = new ArrayList<>();

    @Option(names = "--scale", paramLabel = "ALPHA",
            description = "Scale of each adapter, in order (1.0 for adapters without one).")
    List<Double> scales = new ArrayList<>();

    /**
     * Applies every adapter at its scale: sara4j's own adapter files together through
     * {@link AdapterFiles#apply} (base + Σ αᵢ·ΔPᵢ), then LoRA files in the diffusers/PEFT or kohya
     * layout — written by {@code sara export-lora} or by other tools, recognised by having no sara4j
     * format of their own — each added through {@link ExportedLora#apply}.
     */
    void applyTo(Module unet, NDManager scratch) {
        List<Double> all = alphas();
        List<Path> own = new ArrayList<>();
        List<Double> ownScales = new ArrayList<>();
        Map<Path, Double> loraFiles = new LinkedHashMap<>();
        for (int i = 0; i < adapters.size(); i++) {
            Path file = adapters.get(i);
            String format = AdapterFiles.formatOrNull(file);
            if (format == null || format.equals(ExportedLora.FORMAT)) {
                loraFiles.put(file, all.get(i));
            } else {
                own.add(file);
                ownScales.add(all.get(i));
            }
        }
        if (!own.isEmpty()) {
            AdapterFiles.apply(unet, own, ownScales, scratch);
        }
        loraFiles.forEach((file, scale) -> ExportedLora.apply(unet, file, scale));
    }

    /** One scale per adapter: the given ones in order, 1.0 for the rest. */
    List<Double> alphas() {
        if (scales.size() > adapters.size()) {
            throw new IllegalArgumentException(scales.size() + " --scale values for " + adapters.size() + " --adapter files");
        }
        List<Double> alphas = new ArrayList<>(scales);
        while (alphas.size() < adapters.size()) {
            alphas.add(1.0);
        }
        return alphas;
    }
}
