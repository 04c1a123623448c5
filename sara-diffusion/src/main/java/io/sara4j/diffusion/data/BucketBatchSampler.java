package io.sara4j.diffusion.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Shuffled batches that each hold images of one aspect-ratio bucket, so that a batch stacks into
 * one (B, 3, h, w) tensor; reproducible and random-access like {@link BatchSampler}, whose contract
 * it keeps: every example is drawn exactly once per epoch, and the batches of an epoch depend only
 * on (seed, epoch).
 *
 * <p>Epoch e draws from the stream {@code SplitMix64.forKey(seed, e)}: first a permutation of each
 * bucket's examples (buckets in order of their first example), sliced into batches of
 * {@code batchSize}, then a permutation of all those batches, so buckets are interleaved rather
 * than trained one after the other.
 *
 * <p>A bucket whose image count is not a multiple of the batch size ends in a smaller batch, as
 * PyTorch's {@code drop_last=False} does, rather than being filled up by repeating images: repeats
 * would weight the images of small buckets (often the unusual aspect ratios) more than the rest,
 * and would break "each image once per epoch". The loss is a mean over the batch, so a smaller
 * batch only makes that step noisier.
 */
public final class BucketBatchSampler implements Sampler {
    private final int size;
    private final int batchSize;
    private final long seed;
    private final List<int[]> groups;
    private final int batchesPerEpoch;
    private long cachedEpoch = -1;
    private List<int[]> cachedBatches;

    /**
     * @param bucketOfExample the bucket of each example, index by index (e.g.
     *     {@link ImageCaptionDataset#buckets()}); examples with equal buckets are batched together
     * @param batchSize examples per full batch
     * @param seed fixes every epoch's batches
     */
    public BucketBatchSampler(List<Bucket> bucketOfExample, int batchSize, long seed) {
        if (bucketOfExample.isEmpty()) {
            throw new IllegalArgumentException("no examples to sample from");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, found " + batchSize);
        }
        Map<Bucket, List<Integer>> members = new LinkedHashMap<>();
        for (int i = 0; i < bucketOfExample.size(); i++) {
            members.computeIfAbsent(bucketOfExample.get(i), b -> new ArrayList<>()).add(i);
        }
        List<int[]> grouped = new ArrayList<>();
        int batches = 0;
        for (List<Integer> group : members.values()) {
            grouped.add(group.stream().mapToInt(Integer::intValue).toArray());
            batches += (group.size() + batchSize - 1) / batchSize;
        }
        this.size = bucketOfExample.size();
        this.batchSize = batchSize;
        this.seed = seed;
        this.groups = List.copyOf(grouped);
        this.batchesPerEpoch = batches;
    }

    @Override
    public int size() {
        return size;
    }

    /** Examples per full batch. */
    public int batchSize() {
        return batchSize;
    }

    /** Σ over buckets of ⌈bucket size / batchSize⌉. */
    @Override
    public int batchesPerEpoch() {
        return batchesPerEpoch;
    }

    @Override
    public List<int[]> epoch(long epoch) {
        List<int[]> batches = batches(epoch);
        List<int[]> copy = new ArrayList<>(batches.size());
        for (int[] batch : batches) {
            copy.add(batch.clone());
        }
        return copy;
    }

    @Override
    public int[] batch(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be non-negative, found " + step);
        }
        return batches(step / batchesPerEpoch).get((int) (step % batchesPerEpoch)).clone();
    }

    /** The epoch's batches; the last epoch is kept, since consecutive steps share it. */
    private synchronized List<int[]> batches(long epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be non-negative, found " + epoch);
        }
        if (epoch != cachedEpoch) {
            SplitMix64 random = SplitMix64.forKey(seed, epoch);
            List<int[]> inBucketOrder = new ArrayList<>(batchesPerEpoch);
            for (int[] group : groups) {
                int[] order = random.permutation(group.length);
                for (int from = 0; from < group.length; from += batchSize) {
                    int[] batch = new int[Math.min(batchSize, group.length - from)];
                    for (int k = 0; k < batch.length; k++) {
                        batch[k] = group[order[from + k]];
                    }
                    inBucketOrder.add(batch);
                }
            }
            int[] shuffle = random.permutation(inBucketOrder.size());
            List<int[]> batches = new ArrayList<>(inBucketOrder.size());
            for (int b : shuffle) {
                batches.add(inBucketOrder.get(b));
            }
            cachedBatches = List.copyOf(batches);
            cachedEpoch = epoch;
        }
        return cachedBatches;
    }

    @Override
    public String toString() {
        return "BucketBatchSampler[" + size + " examples in " + groups.size() + " buckets, batch " + batchSize
                + ", " + batchesPerEpoch + " batches per epoch, seed " + seed + "]";
    }
}
