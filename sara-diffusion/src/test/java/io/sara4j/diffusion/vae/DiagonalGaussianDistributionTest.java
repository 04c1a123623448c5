package io.sara4j.diffusion.vae;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DiagonalGaussianDistributionTest {
    private static final int N = 2;
    private static final int C = 3;
    private static final int HW = 4; // h = w = 2

    @Test
    void momentsSampleModeAndKlMatchFloat64Reference() {
        Random random = new Random(9);
        double[] params = Tensors.roundToFloat(Tensors.uniform(random, N * 2 * C * HW, 3.0));
        // push some log-variances past both clamps
        params[C * HW] = -45;      // sample 0, first log-variance entry
        params[C * HW + 1] = 31;
        double[] noise = Tensors.normal(random, N * C * HW);
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            DiagonalGaussianDistribution d = new DiagonalGaussianDistribution(
                    Tensors.float32(m, params, new Shape(N, 2 * C, 2, 2)));
            double[] mean = new double[N * C * HW];
            double[] logvar = new double[N * C * HW];
            for (int n = 0; n < N; n++) {
                for (int i = 0; i < C * HW; i++) {
                    mean[n * C * HW + i] = params[n * 2 * C * HW + i];
                    logvar[n * C * HW + i] = Math.min(20, Math.max(-30, params[n * 2 * C * HW + C * HW + i]));
                }
            }
            double[] std = new double[mean.length];
            double[] var = new double[mean.length];
            double[] sample = new double[mean.length];
            double[] kl = new double[N];
            for (int i = 0; i < mean.length; i++) {
                std[i] = Math.exp(0.5 * logvar[i]);
                var[i] = Math.exp(logvar[i]);
                sample[i] = mean[i] + std[i] * noise[i];
                kl[i / (C * HW)] += 0.5 * (mean[i] * mean[i] + var[i] - 1 - logvar[i]);
            }
            assertThat(Tensors.toDoubles(d.mean())).containsExactly(mean);
            assertThat(Tensors.toDoubles(d.mode())).containsExactly(mean);
            assertThat(Tensors.toDoubles(d.logvar())).containsExactly(logvar);
            assertThat(d.logvar().getFloat(0, 0, 0, 0)).isEqualTo(-30f);
            assertThat(d.logvar().getFloat(0, 0, 0, 1)).isEqualTo(20f);
            assertThat(Tensors.maxRelativeError(Tensors.toDoubles(d.std()), std)).isLessThan(1e-6);
            assertThat(Tensors.maxRelativeError(Tensors.toDoubles(d.var()), var)).isLessThan(1e-6);
            NDArray drawn = d.sample(Tensors.float32(m, noise, new Shape(N, C, 2, 2)));
            assertThat(Tensors.maxRelativeError(Tensors.toDoubles(drawn), sample)).isLessThan(1e-6);
            assertThat(d.kl().getShape()).isEqualTo(new Shape(N));
            double[] engineKl = Tensors.toDoubles(d.kl());
            for (int n = 0; n < N; n++) {
                assertThat(engineKl[n]).isCloseTo(kl[n], within(1e-6 * Math.abs(kl[n])));
            }
        }
    }

    @Test
    void rejectsOddChannelCountsAndMisshapedNoise() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            assertThatThrownBy(() -> new DiagonalGaussianDistribution(m.zeros(new Shape(1, 3, 2, 2))))
                    .hasMessageContaining("(N, 2C, h, w)");
            DiagonalGaussianDistribution d = new DiagonalGaussianDistribution(m.zeros(new Shape(1, 8, 2, 2)));
            assertThatThrownBy(() -> d.sample(m.zeros(new Shape(1, 4, 2, 3))))
                    .hasMessageContaining("(1, 4, 2, 2)");
        }
    }
}
