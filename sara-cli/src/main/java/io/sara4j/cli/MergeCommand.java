package io.sara4j.cli;

import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.peft.AdapterFiles;
import io.sara4j.diffusion.pipeline.DiffusersFolder;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sara merge}: writes base + Σ αᵢ·ΔPᵢ as a complete diffusers folder, which then runs at
 * the base model's inference cost (paper §4).
 */
@Command(name = "merge", description = "Merge adapters into the model and write a diffusers folder.")
final class MergeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    AdapterOptions adapters;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (must not exist).")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (adapters.adapters.isEmpty()) {
            throw new IllegalArgumentException("give at least one --adapter to merge");
        }
        try (NDManager manager = Engines.pytorch().newBaseManager()) {
            StableDiffusionPipeline pipeline = StableDiffusionPipeline.load(
                    DiffusersFolder.open(model.model, model.variant), manager, model.computeType());
            AdapterFiles.apply(pipeline.unet(), adapters.adapters, adapters.alphas(), manager);
            pipeline.save(out);
        }
        PrintWriter log = spec.commandLine().getErr();
        log.printf("sara: merged %d adapter(s) into %s%n", adapters.adapters.size(), out);
        log.flush();
        return 0;
    }
}
