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

class EulerDiscreteSchedulerTest extends EngineTestBase {
    private static final Shape SHAPE = new Shape(2, 4, 3, 3);
    private static final int N = (int) SHAPE.size();

    private final double[] ac = Float64Reference.sdAlphasCumprod();
    private final Random random = new Random(3);

    private double sigma(double t) {
        int lo = (int) Math.floor(t);
        double s0 = Math.sqrt((1 - ac[lo]) / ac[lo]);
        if (lo == t) {
            return s0;
        }
        double s1 = Math.sqrt((1 - ac[lo + 1]) / ac[lo + 1]);
        return s0 + (s1 - s0) * (t - lo);
    }

    @Test
    void sigmasAreInterpolatedAtTheTimestepsThenZero() {
        EulerDiscreteScheduler s = new EulerDiscreteScheduler(Float64Reference.sdConfig("\"timestep_spacing\": \"linspace\""));
        s.setTimesteps(7);
        assertThat(s.timesteps()).containsExactly(999, 832.5, 666, 499.5, 333, 166.5, 0);
        float[] sigmas = s.sigmas();
        assertThat(sigmas).hasSize(8);
        double[] t = s.timesteps();
        for (int i = 0; i < 7; i++) {
            // 1 − ᾱ_t in float32 (as the reference) cancels digits at small t: relative 5e-5
            assertThat((double) sigmas[i]).as("sigma at %s", t[i]).isCloseTo(sigma(t[i]), within(5e-5 * sigma(t[i])));
        }
        assertThat(sigmas[7]).isZero();
        // linspace: the initial noise has σ_max
        assertThat(s.initNoiseSigma()).isCloseTo(sigma(999), within(1e-5 * sigma(999)));
    }

    @Test
    void leadingSpacingScalesInitialNoiseToUnitVarianceModelInput() {
        EulerDiscreteScheduler s = new EulerDiscreteScheduler(Float64Reference.sdConfig("\"timestep_spacing\": \"leading\""));
        s.setTimesteps(10);
        assertThat(s.timesteps()).containsExactly(901, 801, 701, 601, 501, 401, 301, 201, 101, 1);
        double smax = sigma(901);
        assertThat(s.initNoiseSigma()).isCloseTo(Math.sqrt(smax * smax + 1), within(1e-5));
        double[] x = Tensors.normal(random, N);
        NDArray scaled = s.scaleModelInput(Tensors.float32(manager, x, SHAPE), 501);
        double[] expected = new double[N];
        double c = 1 / Math.sqrt(sigma(501) * sigma(501) + 1);
        for (int i = 0; i < N; i++) {
            expected[i] = x[i] * c;
        }
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(scaled), expected)).isLessThan(1e-6);
    }

    @Test
    void stepIsAnEulerStepOfTheProbabilityFlowOde() {
        EulerDiscreteScheduler s = new EulerDiscreteScheduler(Float64Reference.sdConfig("\"timestep_spacing\": \"leading\""));
        s.setTimesteps(10);
        double[] x = Tensors.normal(random, N);
        double[] eps = Tensors.normal(random, N);
        StepOutput out = s.step(Tensors.float32(manager, eps, SHAPE), 401, Tensors.float32(manager, x, SHAPE));
        double si = sigma(401);
        double sn = sigma(301);
        double[] x0 = new double[N];
        double[] prev = new double[N];
        for (int i = 0; i < N; i++) {
            x0[i] = x[i] - si * eps[i];
            prev[i] = x[i] + (x[i] - x0[i]) / si * (sn - si);
        }
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.predOriginalSample()), x0)).isLessThan(1e-5);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.prevSample()), prev)).isLessThan(1e-5);
    }

    @Test
    void vPredictionStepAndLastStepToSigmaZero() {
        EulerDiscreteScheduler s = new EulerDiscreteScheduler(Float64Reference.sdConfig(
                "\"timestep_spacing\": \"trailing\", \"prediction_type\": \"v_prediction\""));
        s.setTimesteps(5);
        assertThat(s.timesteps()).containsExactly(999, 799, 599, 399, 199);
        double[] x = Tensors.normal(random, N);
        double[] v = Tensors.normal(random, N);
        StepOutput out = s.step(Tensors.float32(manager, v, SHAPE), 199, Tensors.float32(manager, x, SHAPE));
        double si = sigma(199);
        double[] x0 = new double[N];
        for (int i = 0; i < N; i++) {
            x0[i] = v[i] * (-si / Math.sqrt(si * si + 1)) + x[i] / (si * si + 1);
        }
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.predOriginalSample()), x0)).isLessThan(1e-5);
        // σ_next = 0: the Euler step lands on x̂_0
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.prevSample()), x0)).isLessThan(1e-5);
    }

    @Test
    void addNoiseUsesTheSigmaOfEachTimestep() {
        EulerDiscreteScheduler s = new EulerDiscreteScheduler(Float64Reference.sdConfig(""));
        double[] x0 = Tensors.normal(random, N);
        double[] eps = Tensors.normal(random, N);
        // before setTimesteps: integer training timesteps
        NDArray noisy = s.addNoise(Tensors.float32(manager, x0, SHAPE), Tensors.float32(manager, eps, SHAPE),
                manager.create(new long[] {10, 640}));
        double[] expected = new double[N];
        for (int i = 0; i < N; i++) {
            expected[i] = x0[i] + eps[i] * sigma(i < N / 2 ? 10 : 640);
        }
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(noisy), expected)).isLessThan(1e-6);
    }

    @Test
    void misuseIsReported() {
        EulerDiscreteScheduler s = new EulerDiscreteScheduler(Float64Reference.sdConfig(""));
        NDArray x = manager.ones(SHAPE);
        assertThatThrownBy(() -> s.step(x, 1, x)).isInstanceOf(IllegalStateException.class)
                .hasMessage("call setTimesteps(n) before step()");
        assertThatThrownBy(s::initNoiseSigma).isInstanceOf(IllegalStateException.class);
        s.setTimesteps(10);
        assertThatThrownBy(() -> s.step(x, 500, x)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not one of this run's timesteps");
    }
}
