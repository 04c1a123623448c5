package io.sara4j.core.peft;

import java.util.SplittableRandom;

/**
 * Counter-based randomness: the generator for a draw is a pure function of the seed and the draw's
 * coordinates (a stream id, the step, a layer, a call), never the continuation of a generator that
 * would have to be saved. A run resumed from a training-state file therefore draws exactly what the
 * uninterrupted run would have drawn, knowing only the step counter ("same seed, same result").
 *
 * <p>The coordinates are folded into one 64-bit seed with SplitMix64's finaliser (Steele, Lea and
 * Flood 2014, the mixer behind {@link SplittableRandom}), which turns nearby inputs into unrelated
 * seeds; that seed starts a {@link SplittableRandom}.
 */
final class StepRandom {
    /** Stream of SaRA's rank-penalty layer choice. */
    static final long RANK_PENALTY_LAYER = 1;
    /** Stream of LoRA's input dropout masks. */
    static final long LORA_DROPOUT = 2;

    private StepRandom() {}

    /** The generator for the draw at {@code coordinates} under {@code seed}. */
    static SplittableRandom of(long seed, long... coordinates) {
        long h = mix64(seed);
        for (long c : coordinates) {
            h = mix64(h ^ mix64(c + 0x9E3779B97F4A7C15L));
        }
        return new SplittableRandom(h);
    }

    /** SplitMix64's output function (a bijection on 64-bit values with full avalanche). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
