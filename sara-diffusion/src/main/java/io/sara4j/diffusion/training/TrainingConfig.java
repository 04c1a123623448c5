package io.sara4j.diffusion.training;

/**
 * The loop's settings; the method's own settings (θ, learning rate, schedule) live in its tuner.
 *
 * @param steps optimizer steps in the run
 * @param batchSize examples per step
 * @param seed fixes batch order, augmentation, noise and timesteps: same seed, same run
 * @param checkpointEvery write a resumable checkpoint every this many steps (0: only at the end)
 * @param logEvery report to the listener every this many steps (the last step always)
 */
public record TrainingConfig(int steps, int batchSize, long seed, int checkpointEvery, int logEvery) {
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
    }
}
