package io.sara4j.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.testing.Tensors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PyTorch's default initialisation as the layers apply it: U(±1/√fan_in) for Linear and Conv2d
 * weights and biases, N(0, 1) for Embedding, ones and zeros for the norms.
 */
class InitTest {
    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = Engines.pytorch().newBaseManager();
        Engines.pytorch().setRandomSeed(1234);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Moments of a sample. */
    private record Stats(long n, double mean, double variance, double min, double max) {
        static Stats of(NDArray array) {
            assertThat(array.getDataType()).isEqualTo(DataType.FLOAT32);
            double[] v = Tensors.toDoubles(array);
            double sum = 0;
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (double x : v) {
                sum += x;
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
            double mean = sum / v.length;
            double ss = 0;
            for (double x : v) {
                ss += (x - mean) * (x - mean);
            }
            return new Stats(v.length, mean, ss / v.length, min, max);
        }
    }

    /**
     * Checks U(−bound, bound): every value inside, the extremes close to the bound, the mean within
     * 5 standard errors of 0 and the variance within 3% of bound²/3 (its relative standard error
     * for a uniform sample is √(0.8/n), under 0.3% for the sizes used here).
     */
    private static void assertUniform(String what, NDArray values, double bound, boolean checkMoments) {
        Stats s = Stats.of(values);
        assertThat(s.min()).as(what + " min").isGreaterThanOrEqualTo(-bound);
        assertThat(s.max()).as(what + " max").isLessThanOrEqualTo(bound);
        double edge = Math.max(0.05, 10.0 / s.n()); // the extremes of n uniforms lie within ~bound·(1 − 1/n)
        assertThat(s.max()).as(what + " max near the bound").isGreaterThan(bound * (1 - edge));
        assertThat(s.min()).as(what + " min near the bound").isLessThan(-bound * (1 - edge));
        if (checkMoments) {
            double variance = bound * bound / 3;
            assertThat(Math.abs(s.mean())).as(what + " mean").isLessThan(5 * Math.sqrt(variance / s.n()));
            assertThat(s.variance() / variance).as(what + " variance / (bound²/3)").isBetween(0.97, 1.03);
        }
    }

    @Test
    void linearUsesUniformWithinOneOverSqrtFanIn() {
        Linear layer = new Linear(manager, 256, 512, true);
        double bound = 1 / Math.sqrt(256);
        assertUniform("Linear weight", layer.weight().data(), bound, true);
        assertUniform("Linear bias", layer.bias().data(), bound, false);
    }

    @Test
    void conv2dFanInCountsChannelsPerGroupTimesKernelArea() {
        Conv2d conv = new Conv2d(manager, 64, 128, 3, 1, 1, 1, 2, true); // fan_in = 64/2 · 3 · 3 = 288
        double bound = 1 / Math.sqrt(288);
        assertUniform("Conv2d weight", conv.weight().data(), bound, true);
        assertUniform("Conv2d bias", conv.bias().data(), bound, false);
        Conv2d plain = new Conv2d(manager, 16, 256, 3, 1, 1); // fan_in = 144
        assertUniform("Conv2d weight, one group", plain.weight().data(), 1 / Math.sqrt(144), true);
    }

    @Test
    void embeddingIsStandardNormal() {
        Embedding embedding = new Embedding(manager, 1000, 64);
        Stats s = Stats.of(embedding.weight().data());
        // mean: standard error 1/√64000 ≈ 0.004; variance: relative standard error √(2/n) ≈ 0.6%
        assertThat(Math.abs(s.mean())).isLessThan(0.02);
        assertThat(s.variance()).isBetween(0.97, 1.03);
        assertThat(s.max()).isGreaterThan(3.5); // a normal, not a bounded, distribution
    }

    @Test
    void normsStartAsTheIdentity() {
        GroupNorm group = new GroupNorm(manager, 4, 8, 1e-6f);
        LayerNorm layer = new LayerNorm(manager, 5, 1e-5f, true);
        for (Parameter weight : new Parameter[] {group.weight(), layer.weight()}) {
            assertThat(weight.data().toFloatArray()).containsOnly(1f);
            assertThat(weight.dataType()).isEqualTo(DataType.FLOAT32);
        }
        for (Parameter bias : new Parameter[] {group.bias(), layer.bias()}) {
            assertThat(bias.data().toFloatArray()).containsOnly(0f);
        }
    }

    @Test
    void sameSeedGivesTheSameWeights() {
        Engines.pytorch().setRandomSeed(7);
        float[] first = new Linear(manager, 8, 8, true).weight().data().toFloatArray();
        Engines.pytorch().setRandomSeed(7);
        float[] second = new Linear(manager, 8, 8, true).weight().data().toFloatArray();
        float[] third = new Linear(manager, 8, 8, true).weight().data().toFloatArray();
        assertThat(second).containsExactly(first);
        assertThat(third).isNotEqualTo(first);
    }
}
