package io.sara4j.diffusion.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BucketBatchSamplerTest {
    private static final Bucket A = new Bucket(512, 512);
    private static final Bucket B = new Bucket(640, 384);
    private static final Bucket C = new Bucket(256, 1024);
    // 5 in A, 3 in B, 2 in C, interleaved
    private static final List<Bucket> BUCKETS = List.of(A, B, A, C, A, B, A, C, B, A);

    @Test
    void everyBatchHoldsOneBucketAndEveryIndexComesOncePerEpoch() {
        BucketBatchSampler sampler = new BucketBatchSampler(BUCKETS, 2, 7);
        assertThat(sampler.batchesPerEpoch()).isEqualTo(3 + 2 + 1); // ⌈5/2⌉ + ⌈3/2⌉ + ⌈2/2⌉
        for (long epoch = 0; epoch < 4; epoch++) {
            List<int[]> batches = sampler.epoch(epoch);
            assertThat(batches).hasSize(6);
            List<Integer> drawn = new ArrayList<>();
            for (int[] batch : batches) {
                assertThat(batch.length).isBetween(1, 2);
                assertThat(Arrays.stream(batch).mapToObj(BUCKETS::get).distinct()).hasSize(1);
                Arrays.stream(batch).forEach(drawn::add);
            }
            assertThat(drawn).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        }
    }

    @Test
    void sameSeedSameBatchesAndStepsAreRandomAccess() {
        BucketBatchSampler first = new BucketBatchSampler(BUCKETS, 2, 7);
        BucketBatchSampler second = new BucketBatchSampler(BUCKETS, 2, 7);
        for (long step = 40; step >= 0; step--) { // backwards: no dependence on earlier calls
            assertThat(first.batch(step)).containsExactly(second.batch(step));
            assertThat(first.batch(step)).containsExactly(first.epoch(step / 6).get((int) (step % 6)));
        }
    }

    @Test
    void differentSeedOrEpochGivesADifferentOrder() {
        List<int[]> seven = new BucketBatchSampler(BUCKETS, 2, 7).epoch(0);
        List<int[]> eight = new BucketBatchSampler(BUCKETS, 2, 8).epoch(0);
        List<int[]> sevenNext = new BucketBatchSampler(BUCKETS, 2, 7).epoch(1);
        assertThat(flatten(seven)).isNotEqualTo(flatten(eight));
        assertThat(flatten(seven)).isNotEqualTo(flatten(sevenNext));
    }

    @Test
    void aBucketSmallerThanTheBatchIsStillDrawn() {
        BucketBatchSampler sampler = new BucketBatchSampler(BUCKETS, 4, 1);
        List<int[]> batches = sampler.epoch(0);
        assertThat(batches).hasSize(2 + 1 + 1);
        assertThat(batches).anySatisfy(batch -> assertThat(batch).containsExactlyInAnyOrder(3, 7)); // all of C
        assertThat(batches).anySatisfy(batch -> assertThat(batch).containsExactlyInAnyOrder(1, 5, 8)); // all of B
    }

    private static List<Integer> flatten(List<int[]> batches) {
        List<Integer> all = new ArrayList<>();
        batches.forEach(batch -> Arrays.stream(batch).forEach(all::add));
        return all;
    }
}
