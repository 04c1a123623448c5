package io.sara4j.diffusion.pipeline;

import io.sara4j.diffusion.data.SplitMix64;

/**
 * Caption dropout for classifier-free guidance: during training a caption is replaced by the empty
 * prompt "" with probability p, so that the same network also learns the unconditional prediction
 * that guidance subtracts (Ho &amp; Salimans 2022; diffusers' {@code --proportion_empty_prompts}).
 *
 * <p>Each choice is a pure function of (seed, step, example index): a uniform u in [0, 1) from a
 * SplitMix64 stream keyed by the step and index, and the caption is dropped when u &lt; p. So a run
 * resumed at step k drops exactly the captions the uninterrupted run would have, and the choice does
 * not depend on how many other random numbers the trainer drew.
 */
public final class CaptionDropout {
    /** Kept apart from the streams other code derives from the same run seed. */
    private static final long STREAM_SALT = 0x6361707469_6f6eL; // "caption"

    private final double probability;
    private final long seed;

    /**
     * Dropout with probability {@code probability} under {@code seed} (the run's seed).
     *
     * @throws IllegalArgumentException if {@code probability} is not in [0, 1]
     */
    public CaptionDropout(double probability, long seed) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("caption dropout must be a probability in [0, 1], got " + probability);
        }
        this.probability = probability;
        this.seed = seed;
    }

    /** p, the probability that a caption is dropped. */
    public double probability() {
        return probability;
    }

    /** Whether the caption of example {@code exampleIndex} is dropped at training step {@code step}. */
    public boolean drops(long step, long exampleIndex) {
        // mixing the step first keeps (step, index) pairs from colliding as step·k + index would
        long key = SplitMix64.mix64(step) + exampleIndex;
        return SplitMix64.forKey(seed ^ STREAM_SALT, key).nextDouble() < probability;
    }

    /** "" if {@link #drops}(step, exampleIndex), else {@code caption}. */
    public String apply(String caption, long step, long exampleIndex) {
        return drops(step, exampleIndex) ? "" : caption;
    }
}
