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
import io.sara4j.diffusion.data.BatchSampler;
import io.sara4j.diffusion.data.SplitMix64;
import io.sara4j.diffusion.data.TrainingData;
import io.sara4j.diffusion.pipeline.DiffusionObjective;
import io.sara4j.diffusion.pipeline.SeededNoise;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.scheduler.DdpmScheduler;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        Checkpoint checkpoint = new Checkpoint(runDir, config, data.size());
        long first = checkpoint.restore(tuner);
        if (first > 0) {
            listener.onResume(first);
        }
        BatchSampler sampler = new BatchSampler(data.size(), config.batchSize(), config.seed());
        DiffusionObjective objective = new DiffusionObjective(new DdpmScheduler(pipeline.schedulerConfig()));
        Engine engine = Engines.pytorch();
        long started = System.nanoTime();
        double firstLoss = Double.NaN;
        StepReport last = null;
        UNet2DConditionModel unet = pipeline.unet();
        unet.setTraining(true);
        unet.setGradientCheckpointing(config.gradientCheckpointing());
        try (ExponentialMovingAverage ema = config.emaDecay() == null ? null
                        : ExponentialMovingAverage.start(tuner, config.emaDecay());
                StepLogs logs = StepLogs.open(runDir, first);
                NDManager root = engine.newBaseManager()) {
            checkpoint.restoreEma(ema, first);
            for (long step = first; step < config.steps(); step++) {
                long stepStarted = System.nanoTime();
                last = trainStep(root, engine, sampler.batch(step), step, objective);
                if (ema != null) {
                    ema.update();
                }
                firstLoss = Double.isNaN(firstLoss) ? last.loss() : firstLoss;
                double pace = (System.nanoTime() - started) / 1e9 / (step - first + 1);
                logs.append(last, pace, (System.nanoTime() - stepStarted) / 1e9);
                boolean done = step + 1 == config.steps();
                if ((step + 1) % config.logEvery() == 0 || done) {
                    listener.onStep(last, config.steps(), pace);
                }
                if (done || (config.checkpointEvery() > 0 && (step + 1) % config.checkpointEvery() == 0)) {
                    logs.flush();
                    checkpoint.write(tuner, ema);
                    listener.onCheckpoint(step + 1, checkpoint.folder());
                }
            }
            if (last == null) {
                checkpoint.writeAdapter(tuner, ema); // already complete: make sure the adapters exist
            }
        } finally {
            unet.setTraining(false);
            unet.setGradientCheckpointing(false);
        }
        return new TrainingResult(config.steps(), first, firstLoss, last == null ? Double.NaN : last.loss(),
                checkpoint.adapterFile(), (System.nanoTime() - started) / 1e9);
    }

    /** One optimizer step on the examples {@code indices}; every temporary is closed on return. */
    private StepReport trainStep(NDManager root, Engine engine, int[] indices, long step, DiffusionObjective objective)
            throws IOException {
        long key = SplitMix64.forKey(config.seed(), step).nextLong();
        try (NDManager scope = root.newSubManager(); NDScope arrays = new NDScope()) {
            arrays.suppressNotUsedWarning();
            List<String> captions = data.captions(indices);
            NDArray images = data.images(scope, indices, key);           // (B, 3, R, R) in [-1, 1]
            SeededNoise noise = new SeededNoise(key);
            NDArray conditioning = pipeline.encodePrompts(scope, captions); // (B, 77, D), not recorded
            NDArray x0 = pipeline.encodeImages(images, noise);              // (B, C, h, w), not recorded
            engine.setRandomSeed((int) (key ^ (key >>> 32)));                // dropout masks of this step
            try (GradientCollector collector = engine.newGradientCollector()) {
                NDArray loss = objective.loss(pipeline.denoiser(), x0, conditioning, noise);
                return tuner.step(loss);
            }
        }
    }
}
