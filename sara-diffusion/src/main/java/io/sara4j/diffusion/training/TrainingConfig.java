package io.sara4j.diffusion.training;

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
 *     slices whose gradients add up (same update as the whole batch, less activation memory)
 * @param gradientCheckpointing recompute the UNet blocks' activations in backward (same gradients,
 *     less memory, about one more forward pass per step)
 * @param emaDecay decay of an exponential moving average of the trained values, saved beside the
 *     adapter as {@code adapter-ema.safetensors}; {@code null}: none
 */
public record TrainingConfig(int steps, int batchSize, long seed, int checkpointEvery, int logEvery, int gradAccum,
        boolean gradientCheckpointing, Double emaDecay) {
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
        if (gradAccum < 1 || batchSize % gradAccum != 0) {
            throw new IllegalArgumentException("gradAccum must be >= 1 and divide batchSize " + batchSize + ", got " + gradAccum);
        }
        if (emaDecay != null && !(emaDecay >= 0 && emaDecay < 1)) {
            throw new IllegalArgumentException("emaDecay must be in [0, 1), got " + emaDecay);
        }
    }

    /** The plain loop: one micro-batch per step, no checkpointing, no EMA. */
    public TrainingConfig(int steps, int batchSize, long seed, int checkpointEvery, int logEvery) {
        this(steps, batchSize, seed, checkpointEvery, logEvery, 1, false, null);
    }

    /** This configuration with {@code k} micro-batches per step (k must divide the batch size). */
    public TrainingConfig withGradAccum(int k) {
        return new TrainingConfig(steps, batchSize, seed, checkpointEvery, logEvery, k, gradientCheckpointing, emaDecay);
    }

    /** This configuration with gradient checkpointing on or off. */
    public TrainingConfig withGradientCheckpointing(boolean on) {
        return new TrainingConfig(steps, batchSize, seed, checkpointEvery, logEvery, gradAccum, on, emaDecay);
    }

    /** This configuration with an EMA of the trained values at {@code decay} ({@code null}: none). */
    public TrainingConfig withEmaDecay(Double decay) {
        return new TrainingConfig(steps, batchSize, seed, checkpointEvery, logEvery, gradAccum, gradientCheckpointing, decay);
    }

    /** Examples per micro-batch. */
    public int microBatchSize() {
        return batchSize / gradAccum;
    }
}
