package io.sara4j.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DdimSchedulerTest extends EngineTestBase {
    private static final Shape SHAPE = new Shape(2, 4, 3, 3);
    private static final int N = (int) SHAPE.size();

    private final double[] ac = Float64Reference.sdAlphasCumprod();
    private final Random random = new Random(7);

    /** DDIM eq. (12) with σ_t from eq. (16), in float64. */
    private static double[] ddimStep(double at, double ap, double eta, double[] x, double[] eps, double[] z,
            double[] x0Out) {
        double sigma = eta * Math.sqrt((1 - ap) / (1 - at) * (1 - at / ap));
        double[] prev = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double x0 = (x[i] - Math.sqrt(1 - at) * eps[i]) / Math.sqrt(at);
            x0Out[i] = x0;
            prev[i] = Math.sqrt(ap) * x0 + Math.sqrt(1 - ap - sigma * sigma) * eps[i] + (z == null ? 0 : sigma * z[i]);
        }
        return prev;
    }

    @Test
    void timestepsFollowTheConfiguredSpacing() {
        DdimScheduler leading = new DdimScheduler(Float64Reference.sdConfig(""));
        leading.setTimesteps(10);
        assertThat(leading.timesteps()).containsExactly(901, 801, 701, 601, 501, 401, 301, 201, 101, 1);
        DdimScheduler trailing = new DdimScheduler(Float64Reference.sdConfig("\"timestep_spacing\": \"trailing\""));
        trailing.setTimesteps(4);
        assertThat(trailing.timesteps()).containsExactly(999, 749, 499, 249);
        DdimScheduler linspace = new DdimScheduler(Float64Reference.sdConfig("\"timestep_spacing\": \"linspace\""));
        linspace.setTimesteps(4);
        assertThat(linspace.timesteps()).containsExactly(999, 666, 333, 0);
    }

    @Test
    void deterministicStepMatchesEquation12() {
        DdimScheduler s = new DdimScheduler(Float64Reference.sdConfig(""));
        s.setTimesteps(10);
        double[] x = Tensors.normal(random, N);
        double[] eps = Tensors.normal(random, N);
        StepOutput out = s.step(Tensors.float32(manager, eps, SHAPE), 701, Tensors.float32(manager, x, SHAPE));
        double[] x0 = new double[N];
        double[] prev = ddimStep(ac[701], ac[601], 0, x, eps, null, x0);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.predOriginalSample()), x0)).isLessThan(1e-5);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.prevSample()), prev)).isLessThan(1e-5);
    }

    @Test
    void lastStepUsesAlphaZeroOrOne() {
        double[] x = Tensors.normal(random, N);
        double[] eps = Tensors.normal(random, N);
        double[] x0 = new double[N];
        DdimScheduler alphaZero = new DdimScheduler(Float64Reference.sdConfig(""));
        alphaZero.setTimesteps(10);
        StepOutput out = alphaZero.step(Tensors.float32(manager, eps, SHAPE), 1, Tensors.float32(manager, x, SHAPE));
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.prevSample()),
                ddimStep(ac[1], ac[0], 0, x, eps, null, x0))).isLessThan(1e-5);

        DdimScheduler alphaOne = new DdimScheduler(Float64Reference.sdConfig("\"set_alpha_to_one\": true"));
        alphaOne.setTimesteps(10);
        out = alphaOne.step(Tensors.float32(manager, eps, SHAPE), 1, Tensors.float32(manager, x, SHAPE));
        // ᾱ_{t'} = 1: x_{t'} = x̂_0
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.prevSample()),
                ddimStep(ac[1], 1.0, 0, x, eps, null, x0))).isLessThan(1e-5);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.prevSample()), x0)).isLessThan(1e-5);
    }

    @Test
    void etaAddsScaledNoise() {
        DdimScheduler s = new DdimScheduler(Float64Reference.sdConfig(""), 0.7);
        s.setTimesteps(10);
        double[] x = Tensors.normal(random, N);
        double[] eps = Tensors.normal(random, N);
        double[] z = Tensors.normal(random, N);
        StepOutput out = s.step(Tensors.float32(manager, eps, SHAPE), 501, Tensors.float32(manager, x, SHAPE),
                NoiseSource.fixed(Tensors.float32(manager, z, SHAPE)));
        double[] x0 = new double[N];
        double[] prev = ddimStep(ac[501], ac[401], 0.7, x, eps, z, x0);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.prevSample()), prev)).isLessThan(1e-5);
    }

    @Test
    void vPredictionAndClipping() {
        DdimScheduler s = new DdimScheduler(Float64Reference.sdConfig(
                "\"prediction_type\": \"v_prediction\", \"clip_sample\": true"));
        s.setTimesteps(10);
        double[] x = Tensors.normal(random, N);
        double[] v = Tensors.normal(random, N);
        StepOutput out = s.step(Tensors.float32(manager, v, SHAPE), 901, Tensors.float32(manager, x, SHAPE));
        double at = ac[901];
        double ap = ac[801];
        double[] x0 = new double[N];
        double[] prev = new double[N];
        for (int i = 0; i < N; i++) {
            x0[i] = Math.max(-1, Math.min(1, Math.sqrt(at) * x[i] - Math.sqrt(1 - at) * v[i]));
            double eps = Math.sqrt(at) * v[i] + Math.sqrt(1 - at) * x[i];
            prev[i] = Math.sqrt(ap) * x0[i] + Math.sqrt(1 - ap) * eps;
        }
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.predOriginalSample()), x0)).isLessThan(1e-5);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.prevSample()), prev)).isLessThan(1e-5);
    }

    @Test
    void misuseIsReported() {
        DdimScheduler s = new DdimScheduler(Float64Reference.sdConfig(""));
        NDArray x = manager.ones(SHAPE);
        assertThatThrownBy(() -> s.step(x, 1, x)).isInstanceOf(IllegalStateException.class)
                .hasMessage("call setTimesteps(n) before step()");
        assertThatThrownBy(() -> new DdimScheduler(Float64Reference.sdConfig(""), -0.1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("eta");
    }
}
