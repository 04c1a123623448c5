package io.sara4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.core.peft.FineTuner;
import io.sara4j.diffusion.data.DatasetOptions;
import io.sara4j.diffusion.data.ImageCaptionDataset;
import io.sara4j.diffusion.loading.ConfigJson;
import io.sara4j.diffusion.loading.SingleFileOptions;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.training.LossChart;
import io.sara4j.diffusion.training.Trainer;
import io.sara4j.diffusion.training.TrainingConfig;
import io.sara4j.diffusion.training.TrainingResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * One resumable fine-tuning run of a multi-phase command ({@code demo}, {@code compare}): loads the
 * base model, attaches the method, trains through {@link Trainer} into a run folder with a progress
 * bar, and leaves {@code summary.json} when done. A folder with a summary is not trained again; one
 * with only a checkpoint continues from it.
 */
final class TrainingPhase {
    /** What a finished run reports ({@code summary.json}). */
    record Summary(long trainable, long parameters, double firstLoss, double lastLoss, double seconds) {}

    private TrainingPhase() {}

    /** The base model (a diffusers folder or a single-file checkpoint), computing in float32. */
    static StableDiffusionPipeline load(Path model, NDManager manager) throws IOException {
        return StableDiffusionPipeline.load(model, null, SingleFileOptions.NONE, manager, DataType.FLOAT32);
    }

    /**
     * Trains {@code method} on the image folder {@code data} (captions prefixed with {@code captionPrefix})
     * into {@code folder}, unless it holds a finished run.
     */
    static Summary run(PrintWriter log, String name, Path folder, Path modelDir, MethodOptions method, Path data,
            String captionPrefix, TrainingConfig config, NDManager manager) throws IOException {
        Path summaryFile = folder.resolve("summary.json");
        if (Files.isRegularFile(summaryFile)) {
            log.printf("sara: %s: training already done (%s)%n", name, summaryFile.getFileName());
            log.flush();
            return ConfigJson.read(summaryFile, Summary.class);
        }
        try (NDManager phase = manager.newSubManager()) {
            StableDiffusionPipeline pipeline = load(modelDir, phase);
            int side = pipeline.defaultImageSize();
            ImageCaptionDataset dataset = ImageCaptionDataset.open(data, DatasetOptions.builder().setResolution(side)
                    .optCaptionPrefix(captionPrefix).optSeed(config.seed()).build());
            try (FineTuner tuner = method.attach(pipeline.unet(), config.steps(), config.seed())) {
                long parameters = pipeline.unet().parameterCount();
                log.printf(Locale.ROOT, "sara: %s: training on %d images, %,d trainable values of %,d (%.2f%%)%n", name,
                        dataset.size(), tuner.trainableCount(), parameters, 100.0 * tuner.trainableCount() / parameters);
                log.flush();
                TrainingResult result;
                try (PhaseProgress bar = PhaseProgress.start(log, "train " + name, config.steps(), "step")) {
                    result = new Trainer(pipeline, tuner, dataset, config).run(folder, bar);
                }
                double[] losses = LossChart.read(folder.resolve("losses.csv")).losses();
                int n = losses.length;
                Summary summary = new Summary(tuner.trainableCount(), parameters, n == 0 ? Double.NaN : losses[0],
                        n == 0 ? Double.NaN : losses[n - 1], result.seconds());
                AtomicFiles.writeString(summaryFile, ConfigJson.write(summary));
                return summary;
            }
        }
    }
}
