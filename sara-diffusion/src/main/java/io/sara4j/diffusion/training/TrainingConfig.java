package io.sara4j.diffusion.training;

import io.sara4j.diffusion.pipeline.LossOptions;
import java.util.Objects;

/**
 * The loop's settings; the method's own settings (θ, learning rate, schedule) live in its tuner.
 * Build one with the five-argument constructor and add options with the {@code with...} methods.
 *
 * @param steps optimizer steps in the run
 * @param batchSize examples per optimizer step (all micro-batches together)
 * @param seed fixes batch order, augmentation, noise and timesteps: same seed, same run
 * @param checkpointEvery write a resumable checkpoint every this many steps (0: only at the end)
 * @param logEvery report to the listener every this many steps (the last step always)
 * @param gradAccum micro-batches per optimizer step: the batch runs through the UNet in this many
 *     slices whose gradients add up (same update as the whole batch, less activation memory); a
 *     batch of B examples is cut into slices of ⌊B/k⌋ or ⌈B/k⌉
 * @param gradientCheckpointing recompute the UNet blocks' activations in backward (same gradients,
 *     less memory, about one more forward pass per step)
 * @param emaDecay decay of an exponential moving average of the trained values, saved beside the
 *     adapter as {@code adapter-ema.safetensors}; {@code null}: none
 * @param loss min-SNR weighting, noise offset and prediction type of the objective
 * @param captionDropout probability of training an example on the empty prompt (for
 *     classifier-free guidance); decided per (seed, step, example)
 * @param validation sample grids and held-out loss during the run ({@link Validator}); no prompts
 *     and no held-out data: none
 * @param cacheLatents encode each training image once and reuse its latent distribution (only
 *     where an image always yields the same pixels: no random crops)
 */
public record TrainingConfig(int steps, int batchSize, long seed, int checkpointEvery, int logEvery, int gradAccum,
        boolean gradientCheckpointing, Double emaDecay, LossOptions loss, double captionDropout,
        ValidationSettings validation, boolean cacheLatents) {
    /** Validates every field, naming it. */
    public TrainingConfig {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        if (checkpointEvery < 0) {
            throw new IllegalArgumentException("checkpointEvery must be >= 0, got " + checkpointEvery);
        }
        if (logEvery < 1) {
            throw new IllegalArgumentException("logEvery must be >= 1, got " + logEvery);
        }
        if (gradAccum < 1 || gradAccum > batchSize) {
            throw new IllegalArgumentException("gradAccum must be in [1, batchSize = " + batchSize + "], got " + gradAccum);
        }
        if (emaDecay != null && !(emaDecay >= 0 && emaDecay < 1)) {
            throw new IllegalArgumentException("emaDecay must be in [0, 1), got " + emaDecay);
        }
        if (!(captionDropout >= 0 && captionDropout <= 1)) {
            throw new IllegalArgumentException("captionDropout must be in [0, 1], got " + captionDropout);
        }
        Objects.requireNonNull(loss, "loss");
        Objects.requireNonNull(validation, "validation");
    }

    /** The plain loop: one micro-batch per step, no checkpointing, no EMA. */
    public TrainingConfig(int steps, int batchSize, long seed, int checkpointEvery, int logEvery) {
        this(steps, batchSize, seed, checkpointEvery, logEvery, 1, false, null, LossOptions.DEFAULTS, 0,
                ValidationSettings.defaults(), false);
    }

    /** This configuration with {@code k} micro-batches per step (k must divide the batch size). */
    public TrainingConfig withGradAccum(int k) {
        return new TrainingConfig(steps, batchSize, seed, checkpointEvery, logEvery, k, gradientCheckpointing, emaDecay,
                loss, captionDropout, validation, cacheLatents);
    }

    /** This configuration with gradient checkpointing on or off. */
    public TrainingConfig withGradientCheckpointing(boolean on) {
        return new TrainingConfig(steps, batchSize, seed, checkpointEvery, logEvery, gradAccum, on, emaDecay,
                loss, captionDropout, validation, cacheLatents);
    }

    /** This configuration with an EMA of the trained values at {@code decay} ({@code null}: none). */
    public TrainingConfig withEmaDecay(Double decay) {
        return new TrainingConfig(steps, batchSize, seed, checkpointEvery, logEvery, gradAccum, gradientCheckpointing, decay,
                loss, captionDropout, validation, cacheLatents);
    }

    /** This configuration with the objective's {@code options}. */
    public TrainingConfig withLoss(LossOptions options) {
        return new TrainingConfig(steps, batchSize, seed, checkpointEvery, logEvery, gradAccum, gradientCheckpointing,
                emaDecay, options, captionDropout, validation, cacheLatents);
    }

    /** This configuration with caption dropout at probability {@code p}. */
    public TrainingConfig withCaptionDropout(double p) {
        return new TrainingConfig(steps, batchSize, seed, checkpointEvery, logEvery, gradAccum, gradientCheckpointing,
                emaDecay, loss, p, validation, cacheLatents);
    }

    /** This configuration with {@code settings} for validation during the run. */
    public TrainingConfig withValidation(ValidationSettings settings) {
        return new TrainingConfig(steps, batchSize, seed, checkpointEvery, logEvery, gradAccum, gradientCheckpointing,
                emaDecay, loss, captionDropout, settings, cacheLatents);
    }

    /** This configuration with the latent cache on or off. */
    public TrainingConfig withCacheLatents(boolean on) {
        return new TrainingConfig(steps, batchSize, seed, checkpointEvery, logEvery, gradAccum, gradientCheckpointing,
                emaDecay, loss, captionDropout, validation, on);
    }
}
