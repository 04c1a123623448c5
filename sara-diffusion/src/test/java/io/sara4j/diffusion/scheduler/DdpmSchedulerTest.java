package io.sara4j.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DdpmSchedulerTest extends EngineTestBase {
    private static final Shape SHAPE = new Shape(2, 4, 3, 3);
    private static final int N = (int) SHAPE.size();

    private final double[] ac = Float64Reference.sdAlphasCumprod();
    private final Random random = new Random(42);

    @Test
    void timestepsUseLeadingSpacingByDefault() {
        DdpmScheduler s = new DdpmScheduler(SchedulerConfig.fromJson("{\"beta_schedule\": \"scaled_linear\"}"));
        s.setTimesteps(10);
        assertThat(s.timesteps()).containsExactly(900, 800, 700, 600, 500, 400, 300, 200, 100, 0);
        assertThat(s.initNoiseSigma()).isEqualTo(1.0);
    }

    @Test
    void epsilonStepIsThePosteriorMeanPlusScaledNoise() {
        DdpmScheduler s = new DdpmScheduler(Float64Reference.sdConfig(""));
        s.setTimesteps(10);
        double[] x = Tensors.normal(random, N);
        double[] eps = Tensors.normal(random, N);
        double[] z = Tensors.normal(random, N);
        StepOutput out = s.step(Tensors.float32(manager, eps, SHAPE), 501, Tensors.float32(manager, x, SHAPE),
                NoiseSource.fixed(Tensors.float32(manager, z, SHAPE)));

        double at = ac[501];
        double ap = ac[401];
        double alpha = at / ap;
        double beta = 1 - alpha;
        double[] x0 = new double[N];
        double[] prev = new double[N];
        for (int i = 0; i < N; i++) {
            x0[i] = (x[i] - Math.sqrt(1 - at) * eps[i]) / Math.sqrt(at);
            double mean = Math.sqrt(ap) * beta / (1 - at) * x0[i] + Math.sqrt(alpha) * (1 - ap) / (1 - at) * x[i];
            prev[i] = mean + Math.sqrt((1 - ap) / (1 - at) * beta) * z[i];
        }
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.predOriginalSample()), x0)).isLessThan(1e-5);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.prevSample()), prev)).isLessThan(1e-5);
    }

    @Test
    void vPredictionAndClippingAtTheLastStepAddNoNoise() {
        DdpmScheduler s = new DdpmScheduler(SchedulerConfig.fromJson("{\"beta_schedule\": \"scaled_linear\","
                + " \"beta_start\": 0.00085, \"beta_end\": 0.012, \"prediction_type\": \"v_prediction\","
                + " \"clip_sample\": true, \"clip_sample_range\": 0.5}"));
        s.setTimesteps(10);
        double[] x = Tensors.normal(random, N);
        double[] v = Tensors.normal(random, N);
        // t = 0: no noise is drawn, so a NoiseSource that refuses is fine.
        StepOutput out = s.step(Tensors.float32(manager, v, SHAPE), 0, Tensors.float32(manager, x, SHAPE));
        double at = ac[0];
        double[] x0 = new double[N];
        double[] prev = new double[N];
        for (int i = 0; i < N; i++) {
            x0[i] = Math.max(-0.5, Math.min(0.5, Math.sqrt(at) * x[i] - Math.sqrt(1 - at) * v[i]));
            // ᾱ_{t'} = 1: the mean is x̂_0 (coefficient √1·(1−ᾱ_0)/(1−ᾱ_0) = 1 and 0 for x_t)
            prev[i] = x0[i];
        }
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.predOriginalSample()), x0)).isLessThan(1e-5);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.prevSample()), prev)).isLessThan(1e-5);
    }

    @Test
    void trainingTargetIsNoiseOrVelocity() {
        NDArray x0 = Tensors.float32(manager, Tensors.normal(random, N), SHAPE);
        NDArray eps = Tensors.float32(manager, Tensors.normal(random, N), SHAPE);
        NDArray t = manager.create(new long[] {3, 999});
        DdpmScheduler epsilon = new DdpmScheduler(Float64Reference.sdConfig(""));
        assertThat(epsilon.trainingTarget(x0, eps, t)).isSameAs(eps);

        DdpmScheduler vPred = new DdpmScheduler(Float64Reference.sdConfig("\"prediction_type\": \"v_prediction\""));
        double[] a = Tensors.toDoubles(x0);
        double[] e = Tensors.toDoubles(eps);
        double[] expected = new double[N];
        for (int i = 0; i < N; i++) {
            double at = ac[i < N / 2 ? 3 : 999];
            expected[i] = Math.sqrt(at) * e[i] - Math.sqrt(1 - at) * a[i];
        }
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(vPred.trainingTarget(x0, eps, t)), expected))
                .isLessThan(1e-6);
    }

    @Test
    void stepKeepsOnlyItsResultsInTheSampleManager() {
        DdpmScheduler s = new DdpmScheduler(Float64Reference.sdConfig(""));
        s.setTimesteps(10);
        NDArray x = manager.ones(SHAPE);
        NDArray eps = manager.ones(SHAPE);
        int before = manager.getManagedArrays().size();
        StepOutput out = s.step(eps, 901, x, (m, shape) -> m.ones(shape));
        assertThat(manager.getManagedArrays()).hasSize(before + 2);
        assertThat(out.prevSample().getManager()).isSameAs(manager);
        assertThat(x.getManager()).isSameAs(manager);
    }

    @Test
    @SuppressWarnings("try") // the scope is only opened and closed around the step
    void stepInsideAnNdScopeClosesCleanly() {
        DdpmScheduler s = new DdpmScheduler(Float64Reference.sdConfig(""));
        s.setTimesteps(10);
        NDArray x = manager.ones(SHAPE);
        float[] kept;
        try (NDScope scope = new NDScope()) {
            NDArray eps = manager.ones(SHAPE);
            StepOutput out = s.step(eps, 901, x, (m, shape) -> m.zeros(shape));
            kept = out.prevSample().toFloatArray();
        }
        assertThat(kept).hasSize(N);
        assertThat(x.isReleased()).isFalse();
        assertThat(x.getManager()).isSameAs(manager);
    }

    @Test
    void misuseIsReported() {
        DdpmScheduler s = new DdpmScheduler(Float64Reference.sdConfig(""));
        NDArray x = manager.ones(SHAPE);
        assertThatThrownBy(() -> s.step(x, 1, x)).isInstanceOf(IllegalStateException.class)
                .hasMessage("call setTimesteps(n) before step()");
        assertThatThrownBy(s::timesteps).isInstanceOf(IllegalStateException.class);
        s.setTimesteps(10);
        assertThatThrownBy(() -> s.step(x, 501, x)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("pass a NoiseSource");
        assertThatThrownBy(() -> s.step(x, 1000, x)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.setTimesteps(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
