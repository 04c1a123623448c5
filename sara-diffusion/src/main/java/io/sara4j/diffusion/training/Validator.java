package io.sara4j.diffusion.training;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.core.nn.Autograd;
import io.sara4j.core.nn.Engines;
import io.sara4j.diffusion.data.TrainingData;
import io.sara4j.diffusion.pipeline.GenerationRequest;
import io.sara4j.diffusion.pipeline.Images;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Validation during training: labelled sample grids of fixed prompts and a {@link ValidationLoss}
 * on held-out images, at step 0 (the base model, before any update) and every
 * {@code sampleEvery} steps.
 *
 * <p>Files in the run folder:
 * <ul>
 *   <li>{@code samples/step-NNNNNN.png}: one grid per interval, the base model's row on top and the
 *       row of step N below it, one column per prompt ({@link SampleGrid}); step 0 has the base row
 *       only. Every image of a prompt uses the same seed, so the rows differ only by the weights.
 *       One grid per interval (rather than one ever-growing grid) keeps memory and file size flat
 *       over a long run: only the base row is kept between intervals.
 *   <li>{@code validation.csv}: {@code step,loss}, one row per evaluation (step 0 = the base model);
 *       a resumed run replaces the rows from its first evaluation on.
 *   <li>{@code validation-loss.png}: the curve of {@code validation.csv}, redrawn after each
 *       evaluation once it has two points.
 * </ul>
 * Sampling and the loss run without recording autograd history, with the UNet's dropout off, in a
 * manager of their own closed before {@link #run} returns; every file is written atomically.
 *
 * <p>Use from the training loop ({@code step} = optimizer steps completed):
 * <pre>{@code
 * Validator validator = Validator.start(pipeline, settings, heldOut, runDir, weights); // before restoring a checkpoint
 * ... after each optimizer step:
 * if (validator.due(step)) { double loss = validator.run(step); }
 * }</pre>
 */
public final class Validator {
    /** File of the validation losses in the run folder. */
    public static final String CSV = "validation.csv";
    /** File of the validation-loss curve in the run folder. */
    public static final String CURVE = "validation-loss.png";
    /** Folder of the sample grids in the run folder. */
    public static final String SAMPLES = "samples";

    /** A body of work that may throw {@link IOException}. */
    @FunctionalInterface
    public interface Body {
        /** Runs the work. */
        void run() throws IOException;
    }

    /**
     * Which weights validation sees: runs {@code body} (the sampling and the loss of one interval)
     * with them in place. {@link #CURRENT} runs it on the weights being trained; an EMA wrapper
     * swaps the averaged values in before and back out after (in a {@code finally}).
     */
    @FunctionalInterface
    public interface Weights {
        /** The weights being trained, as they are. */
        Weights CURRENT = Body::run;

        /** Runs {@code body} with the validation weights in place. */
        void around(Body body) throws IOException;
    }

    private final StableDiffusionPipeline pipeline;
    private final ValidationSettings settings;
    private final ValidationLoss loss;
    private final Weights weights;
    private final Path runDir;
    private final int imageSize;
    private final TreeMap<Long, Double> losses = new TreeMap<>();
    private List<BufferedImage> baseRow = List.of();

    private Validator(StableDiffusionPipeline pipeline, ValidationSettings settings, TrainingData heldOut,
            Path runDir, Weights weights) {
        this.pipeline = pipeline;
        this.settings = settings;
        this.weights = weights;
        this.runDir = runDir;
        this.imageSize = settings.imageSize() > 0 ? settings.imageSize() : pipeline.defaultImageSize();
        this.loss = heldOut == null ? null : new ValidationLoss(pipeline, heldOut, settings.lossTimesteps(),
                settings.lossBatchSize(), settings.seed());
    }

    /** {@link #start(StableDiffusionPipeline, ValidationSettings, TrainingData, Path, Weights)} on the current weights. */
    public static Validator start(StableDiffusionPipeline pipeline, ValidationSettings settings, TrainingData heldOut,
            Path runDir) throws IOException {
        return start(pipeline, settings, heldOut, runDir, Weights.CURRENT);
    }

    /**
     * Samples the base row and measures the base loss (step 0), writing
     * {@code samples/step-000000.png} and the step-0 row of {@code validation.csv}. Call it before
     * the first update, and before a checkpoint is restored, so that step 0 is the base model.
     *
     * @param heldOut the held-out images of the validation loss, or {@code null} for none
     * @param weights which weights to validate (EMA or the trained ones)
     */
    public static Validator start(StableDiffusionPipeline pipeline, ValidationSettings settings, TrainingData heldOut,
            Path runDir, Weights weights) throws IOException {
        Validator validator = new Validator(pipeline, settings, heldOut, runDir, weights);
        validator.readExisting();
        validator.run(0);
        return validator;
    }

    /** Whether step {@code step} (optimizer steps completed) is a validation step. */
    public boolean due(long step) {
        return step > 0 && step % settings.sampleEvery() == 0;
    }

    /**
     * Samples and evaluates the weights after {@code step} steps: writes the grid, the loss row and
     * the curve. Returns the validation loss, or NaN without held-out images.
     */
    public double run(long step) throws IOException {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        double[] result = {Double.NaN};
        List<List<BufferedImage>> row = new ArrayList<>();
        boolean recording = Autograd.isRecording();
        boolean training = pipeline.unet().isTraining();
        Autograd.setRecording(false);
        pipeline.unet().setTraining(false);
        try (NDManager manager = Engines.pytorch().newBaseManager()) {
            weights.around(() -> {
                row.add(sample(manager));
                if (loss != null) {
                    result[0] = loss.evaluate(manager);
                }
            });
        } finally {
            pipeline.unet().setTraining(training);
            Autograd.setRecording(recording);
        }
        if (step == 0) {
            baseRow = row.get(0);
        }
        writeGrid(step, row.get(0));
        if (loss != null) {
            recordLoss(step, result[0]);
        }
        return result[0];
    }

    /** The grid file of {@code step}. */
    public Path gridFile(long step) {
        return runDir.resolve(SAMPLES).resolve(String.format(Locale.ROOT, "step-%06d.png", step));
    }

    /** The validation losses so far, by step (step 0 = the base model). */
    public Map<Long, Double> losses() {
        return new TreeMap<>(losses);
    }

    /** One image per prompt, each from the settings' seed. */
    private List<BufferedImage> sample(NDManager manager) {
        List<BufferedImage> images = new ArrayList<>();
        for (String prompt : settings.prompts()) {
            GenerationRequest request = new GenerationRequest(prompt, "", 1, settings.inferenceSteps(),
                    settings.guidance(), settings.seed(), imageSize, imageSize, settings.sampler());
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                images.addAll(pipeline.generateImages(manager, request));
            }
        }
        return images;
    }

    private void writeGrid(long step, List<BufferedImage> row) throws IOException {
        if (settings.prompts().isEmpty()) {
            return;
        }
        List<List<BufferedImage>> rows = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        rows.add(baseRow);
        labels.add("base");
        if (step > 0) {
            rows.add(row);
            labels.add("step " + step);
        }
        Path file = gridFile(step);
        Files.createDirectories(file.getParent());
        Images.writePng(SampleGrid.render(settings.prompts(), labels, rows), file);
    }

    /** Replaces the rows from {@code step} on with this one, then rewrites the CSV and the curve. */
    private void recordLoss(long step, double value) throws IOException {
        if (step > 0) {
            losses.tailMap(step, true).clear();
        }
        losses.put(step, value);
        StringBuilder csv = new StringBuilder("step,loss\n");
        losses.forEach((s, l) -> csv.append(s).append(',').append(l).append('\n'));
        Files.createDirectories(runDir);
        AtomicFiles.writeString(runDir.resolve(CSV), csv.toString());
        if (losses.size() >= 2) {
            double[] steps = losses.keySet().stream().mapToDouble(Long::doubleValue).toArray();
            double[] values = losses.values().stream().mapToDouble(Double::doubleValue).toArray();
            LossChart.write("validation loss (" + settings.lossTimesteps() + " fixed timesteps)", "validation loss",
                    Map.of("held-out", new LossChart.Curve(steps, values)), runDir.resolve(CURVE));
        }
    }

    /** The rows of an earlier run in this folder (a resumed run keeps them up to its restart). */
    private void readExisting() throws IOException {
        Path csv = runDir.resolve(CSV);
        if (loss == null || !Files.exists(csv)) {
            return;
        }
        LossChart.Curve curve = LossChart.read(csv);
        for (int i = 0; i < curve.steps().length; i++) {
            losses.put((long) curve.steps()[i], curve.losses()[i]);
        }
    }
}
