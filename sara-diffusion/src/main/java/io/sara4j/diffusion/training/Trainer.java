package io.sara4j.diffusion.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.peft.ExponentialMovingAverage;
import io.sara4j.core.peft.FineTuner;
import io.sara4j.core.peft.StepReport;
import io.sara4j.diffusion.data.Crop;
import io.sara4j.diffusion.data.DatasetOptions;
import io.sara4j.diffusion.data.ImageCaptionDataset;
import io.sara4j.diffusion.data.Sampler;
import io.sara4j.diffusion.data.SplitMix64;
import io.sara4j.diffusion.data.TrainingData;
import io.sara4j.diffusion.pipeline.CaptionDropout;
import io.sara4j.diffusion.pipeline.DiffusionObjective;
import io.sara4j.diffusion.pipeline.SeededNoise;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.scheduler.DdpmScheduler;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fine-tunes (or pretrains) a pipeline's UNet with any {@link FineTuner} on image–caption
 * {@link TrainingData}: the loop of
 * the reference training script (VAE latents × scaling factor, random timesteps, noise, MSE on the
 * prediction target), made resumable and reproducible.
 *
 * <p>Everything random in step t (batch, crops and flips, noise, timesteps, dropout) is drawn from
 * generators keyed by (seed, t), so a run killed after its last checkpoint and resumed gives the
 * same parameters as an uninterrupted one. The text encoder and VAE are frozen and run without
 * recording autograd history; only the UNet's forward pass is recorded.
 *
 * <p>Run folder: {@code adapter.safetensors} (the latest adapter, rewritten at every checkpoint),
 * {@code adapter-ema.safetensors} (the same with the moving average of the trained values, when
 * {@link TrainingConfig#emaDecay()} is set), {@code losses.csv} and {@code steps.jsonl} (one row per
 * step, see {@link StepLogs}) and {@code checkpoint/} (see {@link Checkpoint}).
 */
public final class Trainer {
    private final StableDiffusionPipeline pipeline;
    private final FineTuner tuner;
    private final TrainingData data;
    private final TrainingConfig config;

    /** A trainer for {@code tuner}, which must be attached to {@code pipeline.unet()}. */
    public Trainer(StableDiffusionPipeline pipeline, FineTuner tuner, TrainingData data, TrainingConfig config) {
        this.pipeline = pipeline;
        this.tuner = tuner;
        this.data = data;
        this.config = config;
    }

    /**
     * Trains until {@code config.steps()}, continuing from {@code runDir}'s checkpoint when there is
     * one, and writes the adapter.
     *
     * @throws IllegalArgumentException if the checkpoint belongs to a different configuration
     */
    public TrainingResult run(Path runDir, TrainingListener listener) throws IOException {
        Files.createDirectories(runDir);
        ValidationSettings vs = config.validation();
        TrainingData train = data;
        TrainingData heldOut = null;
        if (vs.validationSplit() > 0) {
            TrainingSplit split = TrainingSplit.byFraction(data, vs.validationSplit(), config.seed());
            train = split.train();
            heldOut = split.heldOut();
        } else if (vs.validationData() != null) {
            heldOut = ImageCaptionDataset.open(vs.validationData(), validationOptions(vs));
        }
        Checkpoint checkpoint = new Checkpoint(runDir, config, train.size());
        ExponentialMovingAverage ema = config.emaDecay() == null ? null
                : ExponentialMovingAverage.start(tuner, config.emaDecay());
        LatentCache cache = null;
        if (config.cacheLatents()) {
            if (pipeline.vae() == null) {
                listener.onNote("latent cache: off, this model has no VAE (it trains on pixels)");
            } else if (train instanceof ImageCaptionDataset d && d.options().crop() == Crop.RANDOM) {
                listener.onNote("latent cache: off, random crops give every step new pixels (use --center-crop to cache)");
            } else {
                cache = new LatentCache(pipeline.vae());
            }
        }
        try (ExponentialMovingAverage closeEma = ema; LatentCache closeCache = cache) {
            // the base row of the sample grids and the step-0 validation loss: before any trained value is loaded
            Validator validator = vs.prompts().isEmpty() && heldOut == null ? null
                    : Validator.start(pipeline, vs, heldOut, runDir, ema == null ? Validator.Weights.CURRENT
                            : body -> runWithAverage(ema, body));
            long first = checkpoint.restore(tuner);
            checkpoint.restoreEma(ema, first);
            if (first > 0) {
                listener.onResume(first);
            }
            return loop(runDir, listener, train, checkpoint, ema, cache, validator, first);
        }
    }

    private TrainingResult loop(Path runDir, TrainingListener listener, TrainingData train, Checkpoint checkpoint,
            ExponentialMovingAverage ema, LatentCache cache, Validator validator, long first) throws IOException {
        Sampler sampler = train.sampler(config.batchSize(), config.seed());
        DiffusionObjective objective = new DiffusionObjective(new DdpmScheduler(pipeline.schedulerConfig()), config.loss());
        CaptionDropout dropout = new CaptionDropout(config.captionDropout(), config.seed());
        Engine engine = Engines.pytorch();
        long started = System.nanoTime();
        double firstLoss = Double.NaN;
        StepReport last = null;
        UNet2DConditionModel unet = pipeline.unet();
        unet.setTraining(true);
        unet.setGradientCheckpointing(config.gradientCheckpointing());
        try (StepLogs logs = StepLogs.open(runDir, first);
                NDManager root = engine.newBaseManager()) {
            for (long step = first; step < config.steps(); step++) {
                long stepStarted = System.nanoTime();
                last = trainStep(root, engine, train, sampler.batch(step), step, objective, dropout, cache);
                if (ema != null) {
                    ema.update();
                }
                firstLoss = Double.isNaN(firstLoss) ? last.loss() : firstLoss;
                double pace = (System.nanoTime() - started) / 1e9 / (step - first + 1);
                logs.append(last, pace, (System.nanoTime() - stepStarted) / 1e9);
                long done = step + 1;
                if (validator != null && validator.due(done)) {
                    // unrecorded and in eval mode inside, training mode restored after
                    listener.onValidation(done, validator.run(done));
                }
                if (done % config.logEvery() == 0 || done == config.steps()) {
                    listener.onStep(last, config.steps(), pace);
                }
                if (done == config.steps() || (config.checkpointEvery() > 0 && done % config.checkpointEvery() == 0)) {
                    logs.flush();
                    checkpoint.write(tuner, ema);
                    listener.onCheckpoint(done, checkpoint.folder());
                }
            }
            if (last == null) {
                checkpoint.writeAdapter(tuner, ema); // already complete: make sure the adapters exist
            }
        } finally {
            unet.setTraining(false);
            unet.setGradientCheckpointing(false);
        }
        if (cache != null) {
            listener.onNote(cache.summary());
        }
        return new TrainingResult(config.steps(), first, firstLoss, last == null ? Double.NaN : last.loss(),
                checkpoint.adapterFile(), (System.nanoTime() - started) / 1e9);
    }

    /** Runs a validation body with the moving average's values in the model. */
    private static void runWithAverage(ExponentialMovingAverage ema, Validator.Body body) throws IOException {
        try {
            ema.withAveragedValues(() -> {
                try {
                    body.run();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return null;
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Held-out images are seen as the model sees them, without random crops or flips. */
    private DatasetOptions validationOptions(ValidationSettings vs) {
        DatasetOptions o = data instanceof ImageCaptionDataset d ? d.options() : null;
        int side = o == null ? pipeline.defaultImageSize() : o.resolution();
        return DatasetOptions.builder().setResolution(side).optCrop(Crop.CENTER).optRandomFlip(false)
                .optCaptionPrefix(o == null ? "" : o.captionPrefix()).optSeed(config.seed()).build();
    }

    /**
     * One optimizer step on the examples {@code indices}: the whole batch's images, text states,
     * latents, noise and timesteps first, then the UNet in {@code gradAccum} slices whose
     * gradients add up; every temporary is closed on return. The report's loss is the batch's.
     */
    private StepReport trainStep(NDManager root, Engine engine, TrainingData train, int[] indices, long step,
            DiffusionObjective objective, CaptionDropout dropout, LatentCache cache) throws IOException {
        long key = SplitMix64.forKey(config.seed(), step).nextLong();
        try (NDManager scope = root.newSubManager(); NDScope arrays = new NDScope()) {
            arrays.suppressNotUsedWarning();
            List<String> captions = new ArrayList<>(train.captions(indices));
            for (int i = 0; i < indices.length; i++) {
                captions.set(i, dropout.apply(captions.get(i), step, indices[i]));
            }
            NDArray images = train.images(scope, indices, key);           // (B, 3, h, w) in [-1, 1]
            SeededNoise noise = new SeededNoise(key);
            NDArray conditioning = pipeline.encodePrompts(scope, captions); // (B, 77, D), not recorded
            NDArray x0 = cache == null ? pipeline.encodeImages(images, noise) // (B, C, h/8, w/8), not recorded
                    : cache.encode(images, noise);
            DiffusionObjective.Draw draw = objective.draw(x0, noise);
            engine.setRandomSeed((int) (key ^ (key >>> 32)));                // dropout masks of this step
            int batch = indices.length;
            int slices = Math.min(config.gradAccum(), batch);
            double batchLoss = 0;
            StepReport report = null;
            for (int m = 0; m < slices; m++) {
                int from = m * batch / slices;
                int to = (m + 1) * batch / slices;
                try (NDScope slice = new NDScope(); GradientCollector collector = engine.newGradientCollector()) {
                    slice.suppressNotUsedWarning();
                    NDArray loss = objective.loss(pipeline.denoiser(), draw, conditioning, from, to);
                    if (m < slices - 1) {
                        batchLoss += loss.getFloat();
                        tuner.accumulate(loss);   // this slice's activations are freed with its scope
                    } else {
                        report = tuner.step(loss);
                        batchLoss += report.loss();
                    }
                }
            }
            return slices == 1 ? report : new StepReport(report.step(), batchLoss, report.penalty(), report.learningRate(),
                    report.gradNorm(), report.trainable());
        }
    }
}
