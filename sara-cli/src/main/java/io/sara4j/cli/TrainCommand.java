package io.sara4j.cli;

import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.peft.FineTuner;
import io.sara4j.core.peft.StepReport;
import io.sara4j.diffusion.data.Crop;
import io.sara4j.diffusion.data.DatasetOptions;
import io.sara4j.diffusion.data.ImageCaptionDataset;
import io.sara4j.diffusion.pipeline.LossOptions;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.scheduler.PredictionType;
import io.sara4j.diffusion.training.Trainer;
import io.sara4j.diffusion.training.TrainingConfig;
import io.sara4j.diffusion.training.TrainingListener;
import io.sara4j.diffusion.training.TrainingResult;
import io.sara4j.diffusion.training.ValidationSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

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

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Image folder with metadata.jsonl (required).")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Run folder: adapter.safetensors, losses.csv, steps.jsonl, train-config.json, samples/, checkpoint/ (an existing checkpoint is resumed) (required).")
    Path out;

    @Option(names = "--steps", defaultValue = "5000", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch-size", defaultValue = "4", description = "Examples per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--resolution", description = "Training image side (default: the model's image size).")
    Integer resolution;

    @Option(names = "--caption-prefix", defaultValue = "", description = "Text put before every caption, e.g. \"<name> style, \" (default: none).")
    String captionPrefix;

    @Option(names = "--center-crop", description = "Center-crop instead of random crops (default: random crops).")
    boolean centerCrop;

    @Option(names = "--flip", description = "Random horizontal flips (default: off).")
    boolean flip;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the whole run (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--checkpoint-every", defaultValue = "500", description = "Checkpoint interval in steps; 0: only at the end (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--log-every", defaultValue = "10", description = "Progress line interval in steps when the output is not a terminal (default: ${DEFAULT-VALUE}).")
    int logEvery;

    @Option(names = "--grad-accum", defaultValue = "1", paramLabel = "K",
            description = "Run each batch through the UNet in K slices whose gradients add up: the update of the whole batch"
                    + " with the activation memory of one slice (default: ${DEFAULT-VALUE}).")
    int gradAccum;

    @Option(names = "--gradient-checkpointing",
            description = "Recompute each UNet block's activations in backward instead of keeping them: same gradients,"
                    + " less memory, about one more forward pass per step (default: off).")
    boolean gradientCheckpointing;

    @Option(names = "--ema-decay", paramLabel = "D",
            description = "Keep an exponential moving average of the trained values with this decay (e.g. 0.999), written"
                    + " as adapter-ema.safetensors and used for validation (default: none).")
    Double emaDecay;

    @Option(names = "--snr-gamma", paramLabel = "G",
            description = "Min-SNR-γ loss weighting (Hang et al. 2023; 5 is usual) (default: none, plain MSE).")
    Double snrGamma;

    @Option(names = "--noise-offset", defaultValue = "0", paramLabel = "F",
            description = "Noise offset: adds F·N(0,1) per image and channel to the noise (0.05–0.1 is usual) (default: ${DEFAULT-VALUE}).")
    double noiseOffset;

    @Option(names = "--caption-dropout", defaultValue = "0", paramLabel = "P",
            description = "Probability of training an example on the empty prompt, for classifier-free guidance (default: ${DEFAULT-VALUE}).")
    double captionDropout;

    @Option(names = "--validation-prompt", paramLabel = "TEXT",
            description = "A prompt to sample during training (repeatable); grids go to samples/ (default: none).")
    List<String> validationPrompts = new ArrayList<>();

    @Option(names = "--sample-every", defaultValue = "100", paramLabel = "N",
            description = "Validate (sample grid, held-out loss) every N steps (default: ${DEFAULT-VALUE}).")
    int sampleEvery;

    @Option(names = "--validation-seed", defaultValue = "0", description = "Seed of the validation samples (default: ${DEFAULT-VALUE}).")
    long validationSeed;

    @Option(names = "--validation-steps", defaultValue = "25", paramLabel = "N",
            description = "Sampling steps of the validation images (default: ${DEFAULT-VALUE}).")
    int validationSteps;

    @Option(names = "--guidance", defaultValue = "7.5", description = "Guidance scale of the validation images (default: ${DEFAULT-VALUE}).")
    double guidance;

    @Option(names = "--validation-data", paramLabel = "DIR",
            description = "Held-out image folder (metadata.jsonl) for the validation loss (default: none).")
    Path validationData;

    @Option(names = "--validation-split", defaultValue = "0", paramLabel = "F",
            description = "Hold this fraction of --data out of training for the validation loss (default: ${DEFAULT-VALUE}).")
    double validationSplit;

    @Option(names = "--cache-latents", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Encode each training image once with the VAE and reuse it; off by itself with random crops"
                    + " (default: on; --no-cache-latents to turn off).")
    boolean cacheLatents;

    @Option(names = "--buckets", description = "Aspect-ratio buckets: each batch holds images of one aspect ratio at about"
            + " the training area, instead of square crops (default: off).")
    boolean buckets;

    @Option(names = "--bucket-step", paramLabel = "N",
            description = "Bucket sides are multiples of N pixels (default: 64 when it divides the resolution, else the"
                    + " largest power of two that does).")
    Integer bucketStep;

    @Option(names = "--skip-bad-images", description = "Leave out images that cannot be decoded or exceed the pixel cap,"
            + " and say which, instead of refusing the folder (default: refuse).")
    boolean skipBadImages;

    @Option(names = "--max-image-pixels", defaultValue = "89478485", paramLabel = "N",
            description = "Largest image accepted, in pixels, checked before decoding (default: ${DEFAULT-VALUE}, Pillow's limit).")
    long maxImagePixels;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "DEV",
            description = "cpu or gpu; gpu needs a CUDA build of libtorch (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    public Integer call() throws Exception {
        PrintWriter log = spec.commandLine().getErr();
        Devices.require(device);
        PredictionType prediction = model.predictionType == null ? null : PredictionType.fromName(model.predictionType);
        try (NDManager manager = Engines.pytorch().newBaseManager()) {
            StableDiffusionPipeline pipeline = model.load(manager);
            int side = resolution == null ? pipeline.defaultImageSize() : resolution;
            ImageCaptionDataset dataset = ImageCaptionDataset.open(data, DatasetOptions.builder().setResolution(side)
                    .optCrop(centerCrop ? Crop.CENTER : Crop.RANDOM).optRandomFlip(flip)
                    .optCaptionPrefix(captionPrefix).optSeed(seed).optBuckets(buckets)
                    .optBucketStep(bucketStep == null ? defaultBucketStep(side) : bucketStep)
                    .optSkipBadImages(skipBadImages).optMaxImagePixels(maxImagePixels).build());
            if (!dataset.skipReport().isEmpty()) {
                log.println("sara: " + dataset.skipReport());
            }
            if (buckets) {
                log.println("sara: " + dataset.bucketSummary());
            }
            ValidationSettings validation = ValidationSettings.defaults().withPrompts(validationPrompts)
                    .withSampleEvery(sampleEvery).withSeed(validationSeed).withSampling(validationSteps, guidance, side)
                    .withValidationSplit(validationSplit);
            if (validationData != null && validationSplit == 0) {
                validation = validation.withValidationData(validationData);
            }
            // a progress bar redraws every step; plain lines come every --log-every steps
            int reportEvery = TrainingProgress.onTerminal() ? 1 : logEvery;
            TrainingConfig config = new TrainingConfig(steps, batchSize, seed, checkpointEvery, reportEvery)
                    .withGradAccum(gradAccum).withGradientCheckpointing(gradientCheckpointing).withEmaDecay(emaDecay)
                    .withLoss(new LossOptions(snrGamma, noiseOffset, prediction)).withCaptionDropout(captionDropout)
                    .withValidation(validation).withCacheLatents(cacheLatents);
            ineffectiveOptions().forEach(note -> log.println("sara: note: " + note));
            try (FineTuner tuner = method.attach(pipeline.unet(), steps, seed)) {
                log.printf(Locale.ROOT, "sara: %s on %d images at %dx%d, %,d trainable values of %,d (%.3f%%)%n",
                        method.method, dataset.size(), side, side, tuner.trainableCount(), pipeline.unet().parameterCount(),
                        100.0 * tuner.trainableCount() / pipeline.unet().parameterCount());
                log.flush();
                tuner.setTrainingRecord(RunSettings.write(out, spec, pipeline, config, tuner));
                TrainingListener progress = TrainingProgress.forOutput(log);
                TrainingResult result = new Trainer(pipeline, tuner, dataset, config).run(out, progress);
                log.printf(Locale.ROOT, "sara: done in %.1f s; loss %.4f -> %.4f; training state %,d bytes; adapter %s%n",
                        result.seconds(), result.firstLoss(), result.lastLoss(), tuner.stateBytes(), result.adapter());
                log.flush();
            }
        }
        return 0;
    }

    /** 64 (kohya's step) when it divides the resolution, else the largest power of two that does. */
    static int defaultBucketStep(int resolution) {
        int step = 64;
        while (step > 1 && resolution % step != 0) {
            step /= 2;
        }
        return step;
    }

    /** Options given that have no effect in this configuration, each with the reason. */
    List<String> ineffectiveOptions() {
        List<String> notes = new ArrayList<>();
        boolean validating = !validationPrompts.isEmpty() || validationData != null || validationSplit > 0;
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        for (String option : List.of("--sample-every", "--validation-seed")) {
            if (!validating && parsed.hasMatchedOption(option)) {
                notes.add(option + " has no effect without --validation-prompt, --validation-data or --validation-split");
            }
        }
        for (String option : List.of("--validation-steps", "--guidance")) {
            if (validationPrompts.isEmpty() && parsed.hasMatchedOption(option)) {
                notes.add(option + " has no effect without --validation-prompt (it only shapes the sample grids)");
            }
        }
        if (validationData != null && validationSplit > 0) {
            notes.add("--validation-data and --validation-split both given: the split is used, the folder is not");
        }
        if (!buckets && parsed.hasMatchedOption("--bucket-step")) {
            notes.add("--bucket-step has no effect without --buckets");
        }
        if (buckets && parsed.hasMatchedOption("--center-crop")) {
            notes.add("--center-crop applies within each bucket's aspect ratio");
        }
        if (!centerCrop && parsed.hasMatchedOption("--cache-latents") && cacheLatents) {
            notes.add("--cache-latents has no effect with random crops (add --center-crop)");
        }
        if (gradAccum > 1 && batchSize % gradAccum != 0) {
            notes.add("--grad-accum " + gradAccum + " does not divide --batch-size " + batchSize + ": slices of "
                    + batchSize / gradAccum + " and " + (batchSize / gradAccum + 1) + " examples");
        }
        return notes;
    }
}
