package io.sara4j.diffusion.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchSamplerTest {
    @Test
    void sameSeedGivesTheSameBatches() {
        BatchSampler a = new BatchSampler(23, 4, 11);
        BatchSampler b = new BatchSampler(23, 4, 11);
        for (int e = 0; e < 3; e++) {
            List<int[]> ea = a.epoch(e);
            List<int[]> eb = b.epoch(e);
            assertThat(ea).hasSameSizeAs(eb);
            for (int i = 0; i < ea.size(); i++) {
                assertThat(ea.get(i)).containsExactly(eb.get(i));
            }
        }
        assertThat(new BatchSampler(23, 4, 12).permutation(0)).isNotEqualTo(a.permutation(0));
    }

    @Test
    void eachEpochIsANewPermutationOfAllIndices() {
        BatchSampler sampler = new BatchSampler(23, 4, 5);
        Set<List<Integer>> orders = new HashSet<>();
        for (int e = 0; e < 5; e++) {
            List<Integer> seen = new ArrayList<>();
            for (int[] batch : sampler.epoch(e)) {
                for (int i : batch) {
                    seen.add(i);
                }
            }
            assertThat(seen).hasSize(23).doesNotHaveDuplicates().allSatisfy(i -> assertThat(i).isBetween(0, 22));
            assertThat(seen).containsExactly(Arrays.stream(sampler.permutation(e)).boxed().toArray(Integer[]::new));
            orders.add(seen);
        }
        assertThat(orders).as("five epochs, five different orders").hasSize(5);
    }

    @Test
    void keepsOrDropsTheShortLastBatch() {
        BatchSampler keep = new BatchSampler(10, 4, 1);
        assertThat(keep.batchesPerEpoch()).isEqualTo(3);
        assertThat(keep.epoch(0)).extracting(b -> b.length).containsExactly(4, 4, 2);

        BatchSampler drop = new BatchSampler(10, 4, 1, true);
        assertThat(drop.batchesPerEpoch()).isEqualTo(2);
        assertThat(drop.epoch(0)).extracting(b -> b.length).containsExactly(4, 4);
        // dropping does not change the order, only cuts its tail
        assertThat(drop.epoch(0).get(1)).containsExactly(keep.epoch(0).get(1));
    }

    @Test
    void stepAddressingMatchesEpochIteration() {
        BatchSampler sampler = new BatchSampler(10, 4, 9);
        long step = 0;
        for (int e = 0; e < 4; e++) {
            for (int[] batch : sampler.epoch(e)) {
                assertThat(sampler.batch(step++)).containsExactly(batch);
            }
        }
        // random access in any order gives the same answers (resume)
        assertThat(new BatchSampler(10, 4, 9).batch(7)).containsExactly(sampler.batch(7));
    }

    @Test
    void rejectsSettingsThatCannotSample() {
        assertThatThrownBy(() -> new BatchSampler(0, 4, 1)).hasMessageContaining("size");
        assertThatThrownBy(() -> new BatchSampler(5, 0, 1)).hasMessageContaining("batchSize");
        assertThatThrownBy(() -> new BatchSampler(3, 4, 1, true)).hasMessageContaining("dropLast");
        assertThatThrownBy(() -> new BatchSampler(3, 4, 1).batch(-1)).hasMessageContaining("step");
        assertThat(new BatchSampler(3, 4, 1).epoch(0)).singleElement().satisfies(b -> assertThat(b).hasSize(3));
    }
}
