package io.sara4j.cli;

import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Engines;
import io.sara4j.diffusion.pipeline.GenerationRequest;
import io.sara4j.diffusion.pipeline.Images;
import io.sara4j.diffusion.pipeline.Sampler;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sara sample}: text-to-image with a model and, optionally, adapters at chosen scales. */
@Command(name = "sample", description = "Generate images from a prompt, optionally with adapters applied.")
final class SampleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    AdapterOptions adapters;

    @Option(names = "--prompt", required = true, description = "What to generate.")
    String prompt;

    @Option(names = "--negative-prompt", defaultValue = "", description = "What guidance steers away from.")
    String negativePrompt;

    @Option(names = "--n", defaultValue = "4", description = "Number of images (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--steps", defaultValue = "25", description = "Sampling steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--guidance", defaultValue = "7.5", description = "Classifier-free guidance scale; <= 1 disables it (default: ${DEFAULT-VALUE}).")
    double guidance;

    @Option(names = "--sampler", defaultValue = "ddim", description = "ddim, euler or ddpm (default: ${DEFAULT-VALUE}).")
    String sampler;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the initial noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--height", description = "Image height in pixels (default: the model's sample size).")
    Integer height;

    @Option(names = "--width", description = "Image width in pixels (default: the model's sample size).")
    Integer width;

    @Option(names = "--out", required = true, paramLabel = "PNG", description = "Output PNG: a grid of all images.")
    Path out;

    @Option(names = "--columns", defaultValue = "4", description = "Grid columns (default: ${DEFAULT-VALUE}).")
    int columns;

    @Override
    public Integer call() throws Exception {
        adapters.alphas(); // one scale per adapter: refused here, before the model loads
        PrintWriter log = spec.commandLine().getErr();
        try (NDManager manager = Engines.pytorch().newBaseManager()) {
            StableDiffusionPipeline pipeline = model.load(manager);
            adapters.applyTo(pipeline.unet(), manager);
            int side = pipeline.defaultImageSize();
            GenerationRequest request = new GenerationRequest(prompt, negativePrompt, count, steps, guidance, seed,
                    height == null ? side : height, width == null ? side : width, Sampler.parse(sampler));
            long start = System.nanoTime();
            List<BufferedImage> images = pipeline.generateImages(manager, request);
            Images.writePng(Images.grid(images, columns, 2), out);
            log.printf("sara: wrote %d image(s) of %dx%d to %s in %.1f s%n", images.size(), request.width(),
                    request.height(), out, (System.nanoTime() - start) / 1e9);
            log.flush();
        }
        return 0;
    }
}
