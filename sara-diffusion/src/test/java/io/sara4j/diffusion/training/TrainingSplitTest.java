package io.sara4j.diffusion.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.diffusion.data.TrainingData;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TrainingSplitTest {
    /** Captions "0" … "n−1", no images. */
    private record Numbers(int size) implements TrainingData {
        @Override
        public List<String> captions(int[] indices) {
            return IntStream.of(indices).mapToObj(Integer::toString).toList();
        }

        @Override
        public NDArray images(NDManager manager, int[] indices, long augmentationSeed) {
            throw new UnsupportedOperationException();
        }
    }

    private static List<String> all(TrainingData data) {
        return data.captions(IntStream.range(0, data.size()).toArray());
    }

    @Test
    void theSplitIsDeterministicDisjointAndCoversTheData() {
        TrainingSplit a = TrainingSplit.byFraction(new Numbers(20), 0.25, 7);
        TrainingSplit b = TrainingSplit.byFraction(new Numbers(20), 0.25, 7);
        assertThat(a.heldOut().size()).isEqualTo(5);
        assertThat(a.train().size()).isEqualTo(15);
        assertThat(all(a.heldOut())).isEqualTo(all(b.heldOut()));
        assertThat(all(a.train())).isEqualTo(all(b.train()));
        Set<String> union = new HashSet<>(all(a.train()));
        union.addAll(all(a.heldOut()));
        assertThat(union).hasSize(20);
        assertThat(all(a.train())).doesNotContainAnyElementsOf(all(a.heldOut()));
        // the held-out part is a seeded draw, not the first or last examples
        assertThat(all(a.heldOut())).isNotEqualTo(List.of("0", "1", "2", "3", "4"))
                .isNotEqualTo(List.of("15", "16", "17", "18", "19"));
        assertThat(all(TrainingSplit.byFraction(new Numbers(20), 0.25, 8).heldOut())).isNotEqualTo(all(a.heldOut()));
    }

    @Test
    void subsetsKeepTheOriginalOrderAndRemapIndices() {
        TrainingSplit split = TrainingSplit.byFraction(new Numbers(10), 0.3, 1);
        List<Integer> held = new ArrayList<>();
        for (String s : all(split.heldOut())) {
            held.add(Integer.parseInt(s));
        }
        assertThat(held).isSorted();
        assertThat(split.heldOut().captions(new int[] {2, 0})).containsExactly(all(split.heldOut()).get(2),
                all(split.heldOut()).get(0));
    }

    @Test
    void tinyFractionsHoldOutOneAndImpossibleOnesAreRefused() {
        assertThat(TrainingSplit.byFraction(new Numbers(10), 0.01, 1).heldOut().size()).isEqualTo(1);
        assertThatThrownBy(() -> TrainingSplit.byFraction(new Numbers(1), 0.5, 1))
                .hasMessageContaining("leaving none to train on");
        assertThatThrownBy(() -> TrainingSplit.byFraction(new Numbers(10), 0, 1)).hasMessageContaining("(0, 1)");
    }
}
