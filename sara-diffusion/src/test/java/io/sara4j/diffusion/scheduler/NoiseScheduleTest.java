package io.sara4j.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NoiseScheduleTest extends EngineTestBase {
    private static final Shape SHAPE = new Shape(2, 3, 4, 4);
    private static final int N = (int) SHAPE.size();
    private static final int PER_SAMPLE = N / 2;

    private final NoiseSchedule schedule = NoiseSchedule.of(Float64Reference.sdConfig(""));
    private final double[] ac = Float64Reference.sdAlphasCumprod();

    @Test
    void alphasCumprodIsTheProductOfOneMinusBeta() {
        float[] actual = schedule.alphasCumprod();
        assertThat(actual).hasSize(1000);
        for (int t = 0; t < 1000; t++) {
            // float32 betas and ᾱ: a few float32 ulps of drift over 1000 factors
            assertThat((double) actual[t]).as("alphas_cumprod[%d]", t).isCloseTo(ac[t], within(5e-6 * ac[t]));
            assertThat((double) schedule.beta(t)).isCloseTo(Float64Reference.scaledLinearBetas()[t], within(1e-9));
        }
        assertThat(schedule.alphaCumprod(0)).isEqualTo(1f - 0.00085f);
    }

    @Test
    void addNoiseAndVelocityFollowTheForwardProcess() {
        Random random = new Random(1);
        double[] x0 = Tensors.normal(random, N);
        double[] eps = Tensors.normal(random, N);
        long[] t = {10, 700};
        NDArray noisy = schedule.addNoise(Tensors.float32(manager, x0, SHAPE), Tensors.float32(manager, eps, SHAPE),
                manager.create(t));
        NDArray velocity = schedule.velocity(Tensors.float32(manager, x0, SHAPE), Tensors.float32(manager, eps, SHAPE),
                manager.create(t));
        double[] expectedNoisy = new double[N];
        double[] expectedVelocity = new double[N];
        for (int i = 0; i < N; i++) {
            double a = ac[(int) t[i / PER_SAMPLE]];
            expectedNoisy[i] = Math.sqrt(a) * x0[i] + Math.sqrt(1 - a) * eps[i];
            expectedVelocity[i] = Math.sqrt(a) * eps[i] - Math.sqrt(1 - a) * x0[i];
        }
        assertThat(noisy.getShape()).isEqualTo(SHAPE);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(noisy), expectedNoisy)).isLessThan(1e-6);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(velocity), expectedVelocity)).isLessThan(1e-6);
    }

    @Test
    void oneTimestepBroadcastsOverTheBatch() {
        NDArray x0 = manager.ones(SHAPE);
        NDArray eps = manager.zeros(SHAPE);
        NDArray noisy = schedule.addNoise(x0, eps, manager.create(new long[] {999}));
        assertThat(noisy.toFloatArray()).containsOnly((float) Math.sqrt(schedule.alphaCumprod(999)));
    }

    @Test
    void resultsLandInTheSampleManagerAndTemporariesAreClosed() {
        NDArray x0 = manager.ones(SHAPE);
        NDArray eps = manager.ones(SHAPE);
        NDArray t = manager.create(new long[] {1, 2});
        int before = manager.getManagedArrays().size();
        NDArray noisy = schedule.addNoise(x0, eps, t);
        assertThat(noisy.getManager()).isSameAs(manager);
        assertThat(manager.getManagedArrays()).hasSize(before + 1);
        assertThat(x0.getManager()).isSameAs(manager);
        assertThat(eps.getManager()).isSameAs(manager);
    }

    @Test
    void badTimestepsAreRejected() {
        NDArray x0 = manager.ones(SHAPE);
        assertThatThrownBy(() -> schedule.addNoise(x0, x0, manager.create(new long[] {1000, 0})))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0, 1000)");
        assertThatThrownBy(() -> schedule.addNoise(x0, x0, manager.create(new long[] {1, 2, 3})))
                .hasMessageContaining("3 timesteps for a batch of 2");
        assertThatThrownBy(() -> schedule.addNoise(x0, x0, manager.create(new float[] {1.5f})))
                .hasMessageContaining("not an integer");
    }
}
