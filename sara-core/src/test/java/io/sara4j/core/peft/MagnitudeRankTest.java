package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Engines;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MagnitudeRankTest {
    @Test
    void kthSmallestMatchesASortAcrossTensors() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            Random r = new Random(3);
            float[] a = new float[500];
            float[] b = new float[333];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (r.nextGaussian() * Math.pow(10, -r.nextInt(6))); // many magnitudes
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = i % 7 == 0 ? 0f : (float) r.nextGaussian();
            }
            List<NDArray> tensors = List.of(m.create(a), m.create(b));
            float[] all = new float[a.length + b.length];
            for (int i = 0; i < a.length; i++) {
                all[i] = Math.abs(a[i]);
            }
            for (int i = 0; i < b.length; i++) {
                all[a.length + i] = Math.abs(b[i]);
            }
            Arrays.sort(all);
            for (int k : new int[] {0, 1, 47, 400, 832}) {
                assertThat(MagnitudeRank.kthSmallestAbs(tensors, k)).as("k=" + k).isEqualTo(all[k]);
            }
            assertThatThrownBy(() -> MagnitudeRank.kthSmallestAbs(tensors, all.length)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
