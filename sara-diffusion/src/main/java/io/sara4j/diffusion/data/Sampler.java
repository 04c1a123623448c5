package io.sara4j.diffusion.data;

import java.util.List;

/**
 * The batches of example indices a training loop draws, step after step: a pure function of the
 * step, so a resumed run draws what an uninterrupted one would. Each epoch visits every example
 * once. {@link BatchSampler} shuffles all examples together; {@link BucketBatchSampler} keeps every
 * batch inside one aspect-ratio bucket.
 */
public interface Sampler {
    /** Number of examples sampled from (indices 0 … size−1). */
    int size();

    /** Batches in each epoch (the same for every epoch). */
    int batchesPerEpoch();

    /** All batches of epoch {@code epoch} (0-based), in order. */
    List<int[]> epoch(long epoch);

    /**
     * The batch drawn at global step {@code step} (0-based): batch {@code step mod n} of epoch
     * {@code step / n}, with n = {@link #batchesPerEpoch()}.
     */
    int[] batch(long step);
}
