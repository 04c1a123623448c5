package io.sara4j.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@code rescale_betas_zero_snr}: the rescaled schedule and the samplers' steps at ᾱ_T = 0. */
class ZeroTerminalSnrTest extends EngineTestBase {
    private static final Shape SHAPE = new Shape(2, 4, 3, 3);
    private static final int N = (int) SHAPE.size();
    private static final String ZERO_SNR_V = "\"rescale_betas_zero_snr\": true, \"prediction_type\": \"v_prediction\","
            + " \"timestep_spacing\": \"trailing\"";

    private final Random random = new Random(12);

    /**
     * Lin et al. 2024, Algorithm 1, written on ᾱ directly in float64: √ᾱ' is the affine map of √ᾱ
     * that sends √ᾱ_T to 0 and keeps √ᾱ_1.
     */
    private static double[] rescaledAlphasCumprod(double[] alphasCumprod) {
        int last = alphasCumprod.length - 1;
        double first = Math.sqrt(alphasCumprod[0]);
        double end = Math.sqrt(alphasCumprod[last]);
        double[] out = new double[alphasCumprod.length];
        for (int t = 0; t <= last; t++) {
            double root = first * (Math.sqrt(alphasCumprod[t]) - end) / (first - end);
            out[t] = root * root;
        }
        return out;
    }

    /** The float32 betas the unrescaled config holds, as doubles: the algorithm's input. */
    private static double[] heldBetas(SchedulerConfig plain) {
        float[] betas = NoiseSchedule.of(plain).betas();
        double[] out = new double[betas.length];
        for (int t = 0; t < betas.length; t++) {
            out[t] = betas[t];
        }
        return out;
    }

    private static void assertRescaled(String plainJson) {
        SchedulerConfig plain = SchedulerConfig.fromJson(plainJson);
        SchedulerConfig rescaledConfig = SchedulerConfig.fromJson(
                plainJson.replace("}", ", \"rescale_betas_zero_snr\": true}"));
        NoiseSchedule rescaled = NoiseSchedule.of(rescaledConfig);
        double[] expected = rescaledAlphasCumprod(Float64Reference.alphasCumprod(heldBetas(plain)));
        int last = expected.length - 1;

        for (int t = 0; t <= last; t++) {
            // float32 ᾱ accumulated over up to 1000 factors: a few ulps relative, tiny absolute near 0
            assertThat((double) rescaled.alphaCumprod(t)).as("rescaled alphas_cumprod[%d]", t)
                    .isCloseTo(expected[t], within(1e-5 * expected[t] + 1e-9));
        }
        assertThat(rescaled.alphaCumprod(0)).as("first ᾱ unchanged").isEqualTo(NoiseSchedule.of(plain).alphaCumprod(0));
        assertThat(rescaled.alphaCumprod(last)).as("last ᾱ").isEqualTo(0f);
        assertThat(rescaled.beta(last)).as("last β").isEqualTo(1f);
        for (int t = 0; t < last; t++) {
            // SNR = ᾱ/(1 − ᾱ) is increasing in ᾱ, so strictly decreasing ᾱ is strictly decreasing SNR
            assertThat(rescaled.alphaCumprod(t + 1)).as("ᾱ[%d] < ᾱ[%d]", t + 1, t).isLessThan(rescaled.alphaCumprod(t));
        }
    }

    @Test
    void stableDiffusionScheduleIsRescaledToZeroTerminalSnr() {
        assertRescaled("{\"beta_schedule\": \"scaled_linear\", \"beta_start\": 0.00085, \"beta_end\": 0.012}");
    }

    @Test
    void linearScheduleIsRescaledToZeroTerminalSnr() {
        assertRescaled("{\"beta_schedule\": \"linear\", \"num_train_timesteps\": 200}");
    }

    @Test
    void configWithTheFlagLoadsAndRoundTrips() {
        SchedulerConfig config = Float64Reference.sdConfig(ZERO_SNR_V);
        assertThat(config.rescaleBetasZeroSnr()).isTrue();
        assertThat(SchedulerConfig.fromJson(config.toJson())).isEqualTo(config);
        assertThat(SchedulerConfig.defaults().rescaleBetasZeroSnr()).isFalse();
    }

    @Test
    void terminalTrainingSampleIsPureNoise() {
        DdpmScheduler s = new DdpmScheduler(Float64Reference.sdConfig(ZERO_SNR_V));
        NDArray x0 = Tensors.float32(manager, Tensors.normal(random, N), SHAPE);
        NDArray eps = Tensors.float32(manager, Tensors.normal(random, N), SHAPE);
        NDArray t = manager.create(new long[] {999, 999});
        // √ᾱ_T = 0 and √(1 − ᾱ_T) = 1 exactly: x_T = ε bit for bit, and v = ε·0 − x₀ = −x₀
        assertThat(Tensors.toDoubles(s.addNoise(x0, eps, t))).containsExactly(Tensors.toDoubles(eps));
        assertThat(Tensors.toDoubles(s.trainingTarget(x0, eps, t))).containsExactly(Tensors.toDoubles(x0.neg()));
    }

    @Test
    void ddimStepAtTheTerminalTimestepIsFinite() {
        DdimScheduler s = new DdimScheduler(Float64Reference.sdConfig(ZERO_SNR_V));
        s.setTimesteps(10);
        assertThat(s.timesteps()[0]).isEqualTo(999);
        double[] x = Tensors.normal(random, N);
        double[] v = Tensors.normal(random, N);
        StepOutput out = s.step(Tensors.float32(manager, v, SHAPE), 999, Tensors.float32(manager, x, SHAPE));

        // ᾱ_t = 0: x̂₀ = √ᾱ_t·x − √(1−ᾱ_t)·v̂ = −v̂ and ε̂ = √ᾱ_t·v̂ + √(1−ᾱ_t)·x = x, so
        // x_{t'} = √ᾱ_{t'}·x̂₀ + √(1 − ᾱ_{t'})·ε̂ with t' = 899
        double ap = s.noiseSchedule().alphaCumprod(899);
        double[] x0 = new double[N];
        double[] prev = new double[N];
        for (int i = 0; i < N; i++) {
            x0[i] = -v[i];
            prev[i] = Math.sqrt(ap) * x0[i] + Math.sqrt(1 - ap) * x[i];
        }
        assertAllFinite(out);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.predOriginalSample()), x0)).isLessThan(1e-6);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.prevSample()), prev)).isLessThan(1e-5);
    }

    @Test
    void ddpmStepAtTheTerminalTimestepIsFinite() {
        DdpmScheduler s = new DdpmScheduler(Float64Reference.sdConfig(ZERO_SNR_V));
        s.setTimesteps(10);
        double[] x = Tensors.normal(random, N);
        double[] v = Tensors.normal(random, N);
        StepOutput out = s.step(Tensors.float32(manager, v, SHAPE), 999, Tensors.float32(manager, x, SHAPE),
                (m, shape) -> m.zeros(shape));

        // ᾱ_t = 0 makes α = ᾱ_t/ᾱ_{t'} = 0 and β = 1: the posterior mean is √ᾱ_{t'}·x̂₀ with x̂₀ = −v̂
        double ap = s.noiseSchedule().alphaCumprod(899);
        double[] prev = new double[N];
        for (int i = 0; i < N; i++) {
            prev[i] = -Math.sqrt(ap) * v[i];
        }
        assertAllFinite(out);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.prevSample()), prev)).isLessThan(1e-5);
    }

    @Test
    void eulerStartsFromAFiniteTerminalSigma() {
        EulerDiscreteScheduler s = new EulerDiscreteScheduler(Float64Reference.sdConfig(ZERO_SNR_V));
        s.setTimesteps(10);
        float[] sigmas = s.sigmas();
        // σ_T from ᾱ_T = 2⁻²⁴: √((1 − 2⁻²⁴)·2²⁴) = √(2²⁴ − 1)
        double terminal = Math.sqrt(Math.pow(2, 24) - 1);
        assertThat((double) sigmas[0]).isCloseTo(terminal, within(1e-6 * terminal));
        assertThat(s.initNoiseSigma()).isCloseTo(terminal, within(1e-6 * terminal));

        double[] x = Tensors.normal(random, N);
        double[] v = Tensors.normal(random, N);
        for (int i = 0; i < N; i++) {
            x[i] *= terminal;
        }
        StepOutput out = s.step(Tensors.float32(manager, v, SHAPE), 999, Tensors.float32(manager, x, SHAPE));

        // x̂₀ = −σ/√(σ²+1)·v̂ + x/(σ²+1); x' = x + (x − x̂₀)/σ·(σ₁ − σ)
        double sigma = sigmas[0];
        double next = sigmas[1];
        double[] prev = new double[N];
        for (int i = 0; i < N; i++) {
            double x0 = -sigma / Math.sqrt(sigma * sigma + 1) * v[i] + x[i] / (sigma * sigma + 1);
            prev[i] = x[i] + (x[i] - x0) / sigma * (next - sigma);
        }
        assertAllFinite(out);
        // x' ≈ x̂₀ is what is left after x ≈ 4096 cancels in float32: a few 1e-5 relative
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out.prevSample()), prev)).isLessThan(1e-4);
    }

    @Test
    void eulerWithoutTheFlagKeepsItsTerminalSigma() {
        EulerDiscreteScheduler s = new EulerDiscreteScheduler(Float64Reference.sdConfig("\"timestep_spacing\": \"trailing\""));
        s.setTimesteps(10);
        double alphaBarT = Float64Reference.sdAlphasCumprod()[999];
        assertThat((double) s.sigmas()[0]).isCloseTo(Math.sqrt((1 - alphaBarT) / alphaBarT), within(1e-4));
    }

    private static void assertAllFinite(StepOutput out) {
        for (double value : Tensors.toDoubles(out.prevSample())) {
            assertThat(value).isFinite();
        }
        for (double value : Tensors.toDoubles(out.predOriginalSample())) {
            assertThat(value).isFinite();
        }
    }
}
