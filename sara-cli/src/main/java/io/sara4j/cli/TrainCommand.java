package io.sara4j.cli;

import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.peft.FineTuner;
import io.sara4j.core.peft.StepReport;
import io.sara4j.diffusion.data.Crop;
import io.sara4j.diffusion.data.DatasetOptions;
import io.sara4j.diffusion.data.ImageCaptionDataset;
import io.sara4j.diffusion.pipeline.DiffusersFolder;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.training.Trainer;
import io.sara4j.diffusion.training.TrainingConfig;
import io.sara4j.diffusion.training.TrainingListener;
import io.sara4j.diffusion.training.TrainingResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sara train}: fine-tunes a model's UNet on an image folder with SaRA or a baseline and
 * writes the adapter; a run folder with a checkpoint is resumed.
 */
@Command(name = "train", description = "Fine-tune the UNet on an image folder (metadata.jsonl) and write an adapter.")
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    MethodOptions method;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Image folder with metadata.jsonl.")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Run folder: adapter.safetensors, losses.csv, checkpoint/ (an existing checkpoint is resumed).")
    Path out;

    @Option(names = "--steps", defaultValue = "5000", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch-size", defaultValue = "4", description = "Examples per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--resolution", description = "Training image side (default: the model's image size).")
    Integer resolution;

    @Option(names = "--caption-prefix", defaultValue = "", description = "Text put before every caption, e.g. \"<name> style, \".")
    String captionPrefix;

    @Option(names = "--center-crop", description = "Center-crop instead of random crops.")
    boolean centerCrop;

    @Option(names = "--flip", description = "Random horizontal flips.")
    boolean flip;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the whole run (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--checkpoint-every", defaultValue = "500", description = "Checkpoint interval in steps; 0: only at the end (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--log-every", defaultValue = "10", description = "Progress line interval in steps (default: ${DEFAULT-VALUE}).")
    int logEvery;

    @Override
    public Integer call() throws Exception {
        PrintWriter log = spec.commandLine().getErr();
        try (NDManager manager = Engines.pytorch().newBaseManager()) {
            StableDiffusionPipeline pipeline = StableDiffusionPipeline.load(
                    DiffusersFolder.open(model.model, model.variant), manager, model.computeType());
            int side = resolution == null ? pipeline.defaultImageSize() : resolution;
            ImageCaptionDataset dataset = ImageCaptionDataset.open(data, DatasetOptions.builder().setResolution(side)
                    .optCrop(centerCrop ? Crop.CENTER : Crop.RANDOM).optRandomFlip(flip)
                    .optCaptionPrefix(captionPrefix).optSeed(seed).build());
            TrainingConfig config = new TrainingConfig(steps, batchSize, seed, checkpointEvery, logEvery);
            try (FineTuner tuner = method.attach(pipeline.unet(), steps, seed)) {
                log.printf(Locale.ROOT, "sara: %s on %d images at %dx%d, %,d trainable values of %,d (%.3f%%)%n",
                        method.method, dataset.size(), side, side, tuner.trainableCount(), pipeline.unet().parameterCount(),
                        100.0 * tuner.trainableCount() / pipeline.unet().parameterCount());
                log.flush();
                TrainingResult result = new Trainer(pipeline, tuner, dataset, config).run(out, new ProgressLog(log));
                log.printf(Locale.ROOT, "sara: done in %.1f s; loss %.4f -> %.4f; training state %,d bytes; adapter %s%n",
                        result.seconds(), result.firstLoss(), result.lastLoss(), tuner.stateBytes(), result.adapter());
                log.flush();
            }
        }
        return 0;
    }

    /** One progress line per report: step, loss, learning rate, pace and time left. */
    static final class ProgressLog implements TrainingListener {
        private final PrintWriter log;

        ProgressLog(PrintWriter log) {
            this.log = log;
        }

        @Override
        public void onStep(StepReport r, long totalSteps, double secondsPerStep) {
            long left = Math.round((totalSteps - r.step()) * secondsPerStep);
            log.printf(Locale.ROOT, "step %d/%d  loss %.4f  lr %.3g  %.2f it/s  %.2f s/step  ETA %d:%02d:%02d%n", r.step(),
                    totalSteps, r.loss(), r.learningRate(), 1 / secondsPerStep, secondsPerStep, left / 3600, left / 60 % 60, left % 60);
            log.flush();
        }

        @Override
        public void onResume(long step) {
            log.printf("sara: resuming from the checkpoint at step %d%n", step);
            log.flush();
        }

        @Override
        public void onCheckpoint(long step, Path folder) {
            log.printf("sara: checkpoint at step %d%n", step);
            log.flush();
        }
    }
}
