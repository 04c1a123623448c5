package io.sara4j.diffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.scheduler.DdpmScheduler;
import io.sara4j.diffusion.scheduler.PredictionType;
import io.sara4j.diffusion.scheduler.SchedulerConfig;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DiffusionObjectiveTest {
    private static final int T = 1000;

    /** A denoiser with a known output, 0.5·x_t, so the expected loss is computable by hand. */
    private static final Denoiser HALF = (noisy, t, cond) -> noisy.mul(0.5f);

    private NDManager m;

    @BeforeEach
    void open() {
        m = Engines.pytorch().newBaseManager();
    }

    @AfterEach
    void close() {
        m.close();
    }

    private static DdpmScheduler scheduler(String predictionType) {
        return new DdpmScheduler(SchedulerConfig.fromJson("{\"num_train_timesteps\": 1000, \"beta_start\": 0.00085,"
                + " \"beta_end\": 0.012, \"beta_schedule\": \"scaled_linear\", \"prediction_type\": \"" + predictionType + "\"}"));
    }

    /** ᾱ_t for the scaled-linear schedule, in float64 from its definition. */
    private static double alphaBar(long t) {
        double prod = 1;
        double a = Math.sqrt(0.00085);
        double b = Math.sqrt(0.012);
        for (int i = 0; i <= t; i++) {
            double beta = Math.pow(a + (b - a) * i / 999.0, 2);
            prod *= 1 - beta;
        }
        return prod;
    }

    /** The draws of one loss call, replayed from its seed: ε, then δ when there is an offset, then t. */
    private record Draws(double[] eps, long[] timesteps) {
        static Draws replay(NDManager m, long seed, Shape shape, double noiseOffset) {
            SeededNoise replay = new SeededNoise(seed);
            double[] eps = Tensors.toDoubles(replay.normal(m, shape));
            if (noiseOffset > 0) {
                int batch = (int) shape.get(0);
                int channels = (int) shape.get(1);
                double[] delta = Tensors.toDoubles(replay.normal(m, new Shape(batch, channels, 1, 1)));
                int spatial = (int) (shape.size() / (batch * channels));
                for (int i = 0; i < eps.length; i++) {
                    eps[i] += noiseOffset * delta[i / spatial];
                }
            }
            long[] ts = replay.integers(m, (int) shape.get(0), T).toLongArray();
            return new Draws(eps, ts);
        }
    }

    /** Each sample's mean squared error of {@link #HALF} against the {@code type} target, in float64. */
    private static double[] perSampleMse(double[] x0, Draws draws, PredictionType type) {
        int batch = draws.timesteps().length;
        int per = x0.length / batch;
        double[] mse = new double[batch];
        for (int i = 0; i < x0.length; i++) {
            double ab = alphaBar(draws.timesteps()[i / per]);
            double noisy = Math.sqrt(ab) * x0[i] + Math.sqrt(1 - ab) * draws.eps()[i];
            double target = type == PredictionType.EPSILON
                    ? draws.eps()[i] : Math.sqrt(ab) * draws.eps()[i] - Math.sqrt(1 - ab) * x0[i];
            double diff = 0.5 * noisy - target;
            mse[i / per] += diff * diff / per;
        }
        return mse;
    }

    @ParameterizedTest
    @CsvSource({"epsilon,", "v_prediction,", "epsilon,v_prediction", "v_prediction,epsilon"})
    void lossIsMseToTheTargetOfThePredictionType(String configType, String override) {
        Shape shape = new Shape(3, 2, 2, 2);
        double[] x0 = Tensors.normal(new Random(4), (int) shape.size());
        NDArray[] seen = new NDArray[2];
        Denoiser model = (noisy, t, cond) -> {
            seen[0] = noisy;
            seen[1] = t;
            return HALF.predict(noisy, t, cond);
        };
        PredictionType overrideType = override == null ? null : PredictionType.fromName(override);
        DiffusionObjective objective = new DiffusionObjective(scheduler(configType), new LossOptions(null, 0, overrideType));
        NDArray loss = objective.loss(model, Tensors.float32(m, x0, shape), m.zeros(new Shape(3, 4, 8)), new SeededNoise(99));

        PredictionType expectedType = PredictionType.fromName(override == null ? configType : override);
        assertThat(objective.predictionType()).isEqualTo(expectedType);
        Draws draws = Draws.replay(m, 99, shape, 0);
        assertThat(seen[1].toLongArray()).containsExactly(draws.timesteps());
        double[] noisy = new double[x0.length];
        for (int i = 0; i < x0.length; i++) {
            double ab = alphaBar(draws.timesteps()[i / 8]);
            noisy[i] = Math.sqrt(ab) * x0[i] + Math.sqrt(1 - ab) * draws.eps()[i];
        }
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(seen[0]), noisy)).isLessThan(1e-5);
        // equal-sized samples: the mean of per-sample MSEs is the MSE over all elements
        double expected = Arrays.stream(perSampleMse(x0, draws, expectedType)).average().orElseThrow();
        assertThat(loss.getShape().isScalar()).isTrue();
        assertThat((double) loss.getFloat()).isCloseTo(expected, within(1e-5 * expected));
    }

    @Test
    void defaultOptionsGiveExactlyThePlainLoss() {
        Shape shape = new Shape(4, 3, 4, 4);
        DdpmScheduler s = scheduler("epsilon");
        NDArray x0 = Tensors.float32(m, Tensors.normal(new Random(3), (int) shape.size()), shape);
        NDArray cond = m.zeros(new Shape(4, 1, 1));
        // the loss as it was before the options existed: ε, t, then plain MSE to the config's target
        SeededNoise random = new SeededNoise(21);
        NDArray noise = random.normal(m, shape);
        NDArray t = random.integers(m, 4, T);
        NDArray prediction = HALF.predict(s.addNoise(x0, noise, t), t, cond);
        float plain = prediction.sub(s.trainingTarget(x0, noise, t)).square().mean().getFloat();

        assertThat(new DiffusionObjective(s).loss(HALF, x0, cond, new SeededNoise(21)).getFloat()).isEqualTo(plain);
        assertThat(new DiffusionObjective(s, LossOptions.DEFAULTS).loss(HALF, x0, cond, new SeededNoise(21)).getFloat())
                .isEqualTo(plain);
        assertThat(new DiffusionObjective(s, new LossOptions(null, 0.0, PredictionType.EPSILON))
                .loss(HALF, x0, cond, new SeededNoise(21)).getFloat()).isEqualTo(plain);
    }

    @Test
    void minSnrWeightsEqualTheFormula() {
        // hand values, γ = 5: ᾱ = 0.5 gives SNR 1 (below γ), ᾱ = 0.9 gives SNR 9 (above γ)
        assertThat(MinSnrWeighting.weight(0.5, 5, PredictionType.EPSILON)).isCloseTo(1.0, within(1e-15));
        assertThat(MinSnrWeighting.weight(0.5, 5, PredictionType.V_PREDICTION)).isCloseTo(0.5, within(1e-15));
        assertThat(MinSnrWeighting.weight(0.9, 5, PredictionType.EPSILON)).isCloseTo(5.0 / 9, within(1e-14));
        assertThat(MinSnrWeighting.weight(0.9, 5, PredictionType.V_PREDICTION)).isCloseTo(0.5, within(1e-14));
        // zero terminal SNR: ε weight is its limit 1 (not 0/0), v weight is 0
        assertThat(MinSnrWeighting.weight(0, 5, PredictionType.EPSILON)).isEqualTo(1.0);
        assertThat(MinSnrWeighting.weight(0, 5, PredictionType.V_PREDICTION)).isEqualTo(0.0);

        // chosen timesteps of the SD schedule, against float64 ᾱ (the code sees float32 ᾱ, and at
        // t = 0 the SNR ≈ 1175 carries float32's error on 1 − ᾱ ≈ 8.5e-4, a few 1e-5 relative)
        double gamma = 5;
        for (long t : new long[] {0, 20, 60, 100, 400, 999}) {
            double snr = alphaBar(t) / (1 - alphaBar(t));
            double epsilonWeight = snr > gamma ? gamma / snr : 1;
            double velocityWeight = snr > gamma ? gamma / (snr + 1) : snr / (snr + 1);
            float alphaCumprod = scheduler("epsilon").noiseSchedule().alphaCumprod((int) t);
            assertThat(MinSnrWeighting.snr(alphaCumprod)).as("snr(%d)", t).isCloseTo(snr, within(1e-4 * snr));
            assertThat(MinSnrWeighting.weight(alphaCumprod, gamma, PredictionType.EPSILON)).as("ε weight(%d)", t)
                    .isCloseTo(epsilonWeight, within(1e-5));
            assertThat(MinSnrWeighting.weight(alphaCumprod, gamma, PredictionType.V_PREDICTION)).as("v weight(%d)", t)
                    .isCloseTo(velocityWeight, within(1e-5));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"epsilon", "v_prediction"})
    void minSnrLossIsTheWeightedMeanOfPerSampleMse(String predictionType) {
        Shape shape = new Shape(6, 2, 3, 3);
        double[] x0 = Tensors.normal(new Random(8), (int) shape.size());
        PredictionType type = PredictionType.fromName(predictionType);
        Draws draws = Draws.replay(m, 31, shape, 0);
        // γ at the median sample's SNR, so that some weights are clipped and some are not
        double[] snr = Arrays.stream(draws.timesteps()).mapToDouble(t -> alphaBar(t) / (1 - alphaBar(t))).toArray();
        double gamma = Arrays.stream(snr).sorted().toArray()[3];

        double[] mse = perSampleMse(x0, draws, type);
        double weighted = 0;
        int clipped = 0;
        for (int b = 0; b < mse.length; b++) {
            double w = Math.min(snr[b], gamma) / (type == PredictionType.EPSILON ? snr[b] : snr[b] + 1);
            clipped += snr[b] > gamma ? 1 : 0;
            weighted += w * mse[b] / mse.length;
        }
        assertThat(clipped).as("samples above γ").isBetween(1, 5);

        NDArray input = Tensors.float32(m, x0, shape);
        NDArray cond = m.zeros(new Shape(6, 1, 1));
        float loss = new DiffusionObjective(scheduler(predictionType), new LossOptions(gamma, 0, null))
                .loss(HALF, input, cond, new SeededNoise(31)).getFloat();
        assertThat((double) loss).isCloseTo(weighted, within(1e-5 * weighted));
        float unweighted = new DiffusionObjective(scheduler(predictionType)).loss(HALF, input, cond, new SeededNoise(31)).getFloat();
        assertThat(Math.abs(loss - unweighted)).as("weighting changes the loss").isGreaterThan(1e-3f * unweighted);
    }

    /** ε as the model saw it, recovered from x_t = √(1−ᾱ_t)·ε when x₀ = 0. */
    private double[] noiseSeen(Shape shape, double noiseOffset, long seed) {
        long[][] ts = new long[1][];
        NDArray[] noisy = new NDArray[1];
        Denoiser model = (x, t, cond) -> {
            noisy[0] = x;
            ts[0] = t.toLongArray();
            return x;
        };
        new DiffusionObjective(scheduler("epsilon"), new LossOptions(null, noiseOffset, null))
                .loss(model, m.zeros(shape), m.zeros(new Shape(shape.get(0), 1, 1)), new SeededNoise(seed));
        double[] eps = Tensors.toDoubles(noisy[0]);
        int per = (int) (shape.size() / shape.get(0));
        for (int i = 0; i < eps.length; i++) {
            eps[i] /= Math.sqrt(1 - alphaBar(ts[0][i / per]));
        }
        return eps;
    }

    @Test
    void noiseOffsetAddsAPerChannelConstantDrawnFromTheSameStream() {
        Shape shape = new Shape(2, 3, 4, 4);
        double[] expected = Draws.replay(m, 17, shape, 0.3).eps();
        assertThat(Tensors.maxRelativeError(noiseSeen(shape, 0.3, 17), expected)).isLessThan(1e-5);
        assertThat(Tensors.maxRelativeError(noiseSeen(shape, 0, 17), Draws.replay(m, 17, shape, 0).eps()))
                .isLessThan(1e-5);
    }

    @Test
    void noiseOffsetShiftsChannelMeansByItsScale() {
        // per-(sample, channel) means of 16×16 values: std 1/16 without offset, √(offset² + 1/256) with
        Shape shape = new Shape(32, 4, 16, 16);
        assertThat(channelMeanStd(noiseSeen(shape, 0.5, 5), 256)).isCloseTo(Math.sqrt(0.25 + 1.0 / 256), within(0.08));
        assertThat(channelMeanStd(noiseSeen(shape, 0, 5), 256)).isCloseTo(1.0 / 16, within(0.015));
    }

    private static double channelMeanStd(double[] values, int spatial) {
        double[] means = new double[values.length / spatial];
        for (int i = 0; i < values.length; i++) {
            means[i / spatial] += values[i] / spatial;
        }
        double mean = Arrays.stream(means).average().orElseThrow();
        return Math.sqrt(Arrays.stream(means).map(v -> (v - mean) * (v - mean)).sum() / (means.length - 1));
    }

    @Test
    void optionsRejectValuesOutOfRange() {
        assertThatThrownBy(() -> new LossOptions(0.0, 0, null)).hasMessageContaining("snr gamma");
        assertThatThrownBy(() -> new LossOptions(Double.NaN, 0, null)).hasMessageContaining("snr gamma");
        assertThatThrownBy(() -> new LossOptions(null, -0.1, null)).hasMessageContaining("noise offset");
        assertThatThrownBy(() -> new LossOptions(null, Double.POSITIVE_INFINITY, null)).hasMessageContaining("noise offset");
    }

    @Test
    void sameSeedGivesSameLossDifferentSeedDiffers() {
        Shape shape = new Shape(2, 1, 2, 2);
        NDArray x0 = Tensors.float32(m, Tensors.normal(new Random(1), 8), shape);
        NDArray cond = m.zeros(new Shape(2, 1, 1));
        Denoiser model = (noisy, t, c) -> noisy;
        DiffusionObjective objective = new DiffusionObjective(scheduler("epsilon"), new LossOptions(5.0, 0.1, null));
        float a = objective.loss(model, x0, cond, new SeededNoise(5)).getFloat();
        float b = objective.loss(model, x0, cond, new SeededNoise(5)).getFloat();
        float c = objective.loss(model, x0, cond, new SeededNoise(6)).getFloat();
        assertThat(a).isEqualTo(b);
        assertThat(a).isNotEqualTo(c);
    }
}
