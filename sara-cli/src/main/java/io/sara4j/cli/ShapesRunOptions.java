package io.sara4j.cli;

import io.sara4j.diffusion.data.shapes.ShapesDataset;
import io.sara4j.diffusion.data.shapes.ShapesOptions;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.eval.Evaluator;
import io.sara4j.diffusion.eval.ShapesClassifier;
import io.sara4j.diffusion.loading.BundledFolders;
import io.sara4j.diffusion.pipeline.Sampler;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options {@code sara demo} and {@code sara compare} share: which base model and classifier,
 * how much training data, and how samples are drawn and scored. Both commands fine-tune the base
 * model on generated images of one shapes style and score the result with the same evaluator.
 */
final class ShapesRunOptions {
    @Option(names = "--model", paramLabel = "PATH",
            description = "Base model: a diffusers folder or a single-file checkpoint (default: the bundled models/shapes-base).")
    Path model;

    @Option(names = "--guidance", defaultValue = "2", description = "Classifier-free guidance of every sample (default:"
            + " ${DEFAULT-VALUE}, where the bundled model draws best; at SD's 7.5 it oversaturates).")
    double guidance;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of data, training and sampling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--samples", defaultValue = "48", description = "Images scored per style and model (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--images", defaultValue = "256", description = "Training images generated (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--batch-size", defaultValue = "8", description = "Examples per training step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--sample-steps", defaultValue = "20", description = "DDIM sampling steps (default: ${DEFAULT-VALUE}).")
    int sampleSteps;

    @Option(names = "--classifier", paramLabel = "DIR", hidden = true,
            description = "Classifier folder (default: the shipped models/shapes-classifier).")
    Path classifier;

    /** {@code out} if given, else a new {@code runs/<kind>-<yyyyMMdd-HHmmss>}, absolute. */
    static Path runFolder(Path out, String kind) {
        Path run = out != null ? out
                : Path.of("runs", kind + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        return run.toAbsolutePath().normalize();
    }

    /** The base model folder: {@code --model}, else the bundled one. */
    Path modelDir() {
        return model != null ? model : BundledFolders.find(DemoCommand.BUNDLED_MODEL, "model_index.json", "the bundled base model");
    }

    /** The classifier folder: {@code --classifier}, else the shipped one. */
    Path classifierDir() {
        return classifier != null ? classifier : ShapesClassifier.bundledFolder();
    }

    /** How every model of the run is sampled and scored. */
    Evaluator.Settings evaluatorSettings() {
        return new Evaluator.Settings(samples, sampleSteps, guidance, Sampler.DDIM, seed);
    }

    /**
     * Generates the training images of {@code style} at {@code side} pixels into {@code data}, saying
     * so on {@code log}, unless a resumed run already has them.
     */
    void generateTrainingData(Path data, Style style, int side, PrintWriter log) throws IOException {
        if (Files.isRegularFile(data.resolve("metadata.jsonl"))) {
            return;
        }
        log.printf(Locale.ROOT, "sara: generating %d training images of the %s style%n", images, style.label());
        log.flush();
        ShapesDataset.generate(data, List.of(style), images, seed, ShapesOptions.builder().optImageSize(side).build());
    }

    /** These settings by their {@code run.json} names, added to {@code settings}. */
    void describeInto(Map<String, Object> settings) {
        settings.put("batch_size", batchSize);
        settings.put("images", images);
        settings.put("seed", seed);
        settings.put("samples", samples);
        settings.put("sample_steps", sampleSteps);
        settings.put("guidance", guidance);
    }
}
