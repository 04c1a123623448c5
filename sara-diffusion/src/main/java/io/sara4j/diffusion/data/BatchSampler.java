package io.sara4j.diffusion.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Shuffled batches of example indices, epoch after epoch, fixed by a seed: the sampler of
 * PyTorch's {@code DataLoader(shuffle=True, batch_size=B, drop_last=…)} that the reference
 * training script uses, made reproducible and random-access.
 *
 * <p>Epoch e visits the permutation {@code SplitMix64.forKey(seed, e).permutation(size)} in
 * consecutive slices of {@code batchSize}; the last slice is shorter unless {@code dropLast}, which
 * leaves out the remainder (different examples each epoch). Because each epoch's order depends only
 * on (seed, e), {@link #batch(long)} gives the batch of any global step directly, which is what a
 * resumed run needs. The same seed gives the same batches on every JVM.
 */
public final class BatchSampler implements Sampler {
    private final int size;
    private final int batchSize;
    private final long seed;
    private final boolean dropLast;
    private long cachedEpoch = -1;
    private int[] cachedOrder;

    /** Batches that keep the last, shorter batch of each epoch ({@code drop_last=False}, PyTorch's default). */
    public BatchSampler(int size, int batchSize, long seed) {
        this(size, batchSize, seed, false);
    }

    /**
     * @param size number of examples (indices 0 … size−1)
     * @param batchSize examples per batch
     * @param seed fixes every epoch's order
     * @param dropLast leave out each epoch's incomplete last batch
     */
    public BatchSampler(int size, int batchSize, long seed, boolean dropLast) {
        if (size < 1) {
            throw new IllegalArgumentException("size must be at least 1, found " + size);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, found " + batchSize);
        }
        if (dropLast && batchSize > size) {
            throw new IllegalArgumentException("batchSize " + batchSize + " exceeds the dataset size " + size
                    + " with dropLast: no batch would ever be drawn (lower the batch size or keep the last batch)");
        }
        this.size = size;
        this.batchSize = batchSize;
        this.seed = seed;
        this.dropLast = dropLast;
    }

    /** Number of examples sampled from. */
    @Override
    public int size() {
        return size;
    }

    /** Examples per full batch. */
    public int batchSize() {
        return batchSize;
    }

    /** Batches in each epoch: ⌊size / batchSize⌋ with dropLast, otherwise ⌈size / batchSize⌉. */
    @Override
    public int batchesPerEpoch() {
        return dropLast ? size / batchSize : (size + batchSize - 1) / batchSize;
    }

    /** The order in which epoch {@code epoch} (0-based) visits the examples: a permutation of 0 … size−1. */
    public int[] permutation(long epoch) {
        return order(epoch).clone();
    }

    /** All batches of epoch {@code epoch}, in order. */
    @Override
    public List<int[]> epoch(long epoch) {
        int[] order = order(epoch);
        List<int[]> batches = new ArrayList<>(batchesPerEpoch());
        for (int b = 0; b < batchesPerEpoch(); b++) {
            batches.add(slice(order, b));
        }
        return batches;
    }

    /**
     * The batch drawn at global step {@code step} (0-based): batch {@code step mod n} of epoch
     * {@code step / n}, with n = {@link #batchesPerEpoch()}.
     */
    @Override
    public int[] batch(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be non-negative, found " + step);
        }
        int perEpoch = batchesPerEpoch();
        return slice(order(step / perEpoch), (int) (step % perEpoch));
    }

    private int[] slice(int[] order, int b) {
        int from = b * batchSize;
        return Arrays.copyOfRange(order, from, Math.min(from + batchSize, size));
    }

    /** The epoch's permutation; the last one is kept, since consecutive steps share it. */
    private synchronized int[] order(long epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be non-negative, found " + epoch);
        }
        if (epoch != cachedEpoch) {
            cachedOrder = SplitMix64.forKey(seed, epoch).permutation(size);
            cachedEpoch = epoch;
        }
        return cachedOrder;
    }
}
