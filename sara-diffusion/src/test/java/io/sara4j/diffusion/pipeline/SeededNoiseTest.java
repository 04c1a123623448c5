package io.sara4j.diffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import org.junit.jupiter.api.Test;

class SeededNoiseTest {
    @Test
    void sameSeedSameStreamDifferentSeedDifferentStream() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            float[] a = new SeededNoise(7).normal(m, new Shape(2, 3, 4)).toFloatArray();
            float[] b = new SeededNoise(7).normal(m, new Shape(2, 3, 4)).toFloatArray();
            float[] c = new SeededNoise(8).normal(m, new Shape(2, 3, 4)).toFloatArray();
            assertThat(a).containsExactly(b);
            assertThat(a).isNotEqualTo(c);
        }
    }

    @Test
    void gaussianMomentsMatchStandardNormal() {
        SeededNoise noise = new SeededNoise(123);
        int n = 200_000;
        double sum = 0;
        double sumSq = 0;
        double sumFourth = 0;
        for (int i = 0; i < n; i++) {
            double x = noise.nextGaussian();
            sum += x;
            sumSq += x * x;
            sumFourth += x * x * x * x;
        }
        double mean = sum / n;
        double var = sumSq / n - mean * mean;
        // standard errors: mean 1/sqrt(n) ≈ 0.0022, variance sqrt(2/n) ≈ 0.0032, 4th moment sqrt(96/n) ≈ 0.022
        assertThat(mean).isCloseTo(0.0, within(0.01));
        assertThat(var).isCloseTo(1.0, within(0.015));
        assertThat(sumFourth / n).isCloseTo(3.0, within(0.1));
    }

    @Test
    void integersStayInRangeAndCoverIt() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            long[] t = new SeededNoise(1).integers(m, 5000, 10).toLongArray();
            boolean[] seen = new boolean[10];
            for (long v : t) {
                assertThat(v).isBetween(0L, 9L);
                seen[(int) v] = true;
            }
            assertThat(seen).containsOnly(true);
        }
    }
}
