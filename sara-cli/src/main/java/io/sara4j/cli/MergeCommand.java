package io.sara4j.cli;

import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Engines;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sara merge}: writes base + Σ αᵢ·ΔPᵢ as a complete diffusers folder, or as one single-file
 * checkpoint in the latent-diffusion layout ({@code --format single-file}), which then runs at the
 * base model's inference cost (paper §4).
 */
@Command(name = "merge", description = "Merge adapters into the model and write a diffusers folder or a single-file"
        + " checkpoint.")
final class MergeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    AdapterOptions adapters;

    @Option(names = "--out", required = true, paramLabel = "PATH",
            description = "Output folder (must not exist), or the .safetensors file with --format single-file.")
    Path out;

    @Option(names = "--format", defaultValue = "diffusers", paramLabel = "FORMAT",
            description = "diffusers (a model folder) or single-file (one .safetensors in the latent-diffusion layout"
                    + " that AUTOMATIC1111, ComfyUI and kohya-ss load; SD2.x models get OpenCLIP keys)"
                    + " (default: ${DEFAULT-VALUE}).")
    String format;

    @Override
    public Integer call() throws Exception {
        if (adapters.adapters.isEmpty()) {
            throw new IllegalArgumentException("give at least one --adapter to merge");
        }
        boolean singleFile = switch (format) {
            case "diffusers" -> false;
            case "single-file" -> true;
            default -> throw new IllegalArgumentException("unknown --format '" + format
                    + "' (supported: diffusers, single-file)");
        };
        if (singleFile && !out.getFileName().toString().endsWith(".safetensors")) {
            throw new IllegalArgumentException("--format single-file writes a .safetensors file; got --out " + out);
        }
        if (singleFile && Files.exists(out)) {
            throw new IllegalArgumentException(out + ": already exists; choose a new output file");
        }
        try (NDManager manager = Engines.pytorch().newBaseManager()) {
            StableDiffusionPipeline pipeline = model.load(manager);
            adapters.applyTo(pipeline.unet(), manager);
            if (singleFile) {
                boolean openClip = "gelu".equals(pipeline.textEncoder().config().hiddenAct());
                pipeline.saveSingleFile(out, openClip, model.singleFile() ? model.model : null);
            } else {
                pipeline.save(out);
            }
        }
        PrintWriter log = spec.commandLine().getErr();
        log.printf("sara: merged %d adapter(s) into %s%n", adapters.adapters.size(), out);
        log.flush();
        return 0;
    }
}
