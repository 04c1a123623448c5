package io.sara4j.diffusion.scheduler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.HostArrays;
import java.util.Arrays;

/**
 * The training noise schedule shared by the schedulers: β_t, ᾱ_t = ∏_{s≤t}(1 − β_s) and the
 * forward process q(x_t | x_0) = N(√ᾱ_t·x_0, (1 − ᾱ_t)·I) (Ho et al. 2020, eq. 4).
 *
 * <p>Betas are computed in float64 and rounded to float32, as diffusers stores them; α_t = 1 − β_t
 * is taken in float32 and the cumulative product accumulated in float64 with each ᾱ_t rounded to
 * float32, which is what PyTorch's CPU {@code cumprod} does for float32 input. Per-timestep
 * coefficients are formed in float32 arithmetic like the reference's 0-d tensors.
 */
public final class NoiseSchedule {
    private final float[] betas;
    private final float[] alphasCumprod;

    private NoiseSchedule(float[] betas) {
        this.betas = betas;
        this.alphasCumprod = new float[betas.length];
        double product = 1;
        for (int t = 0; t < betas.length; t++) {
            float alpha = 1f - betas[t];
            product *= alpha;
            alphasCumprod[t] = (float) product;
        }
    }

    /**
     * The schedule of {@code config}: {@code trained_betas} if given, else {@code beta_schedule};
     * then, with {@code rescale_betas_zero_snr}, rescaled to zero terminal SNR
     * ({@link ZeroTerminalSnr}; the last ᾱ is then exactly 0).
     */
    public static NoiseSchedule of(SchedulerConfig config) {
        int n = config.numTrainTimesteps();
        float[] betas = new float[n];
        if (config.trainedBetas() != null) {
            for (int t = 0; t < n; t++) {
                betas[t] = config.trainedBetas().get(t).floatValue();
            }
        } else {
            double[] exact = config.betaSchedule().betas(n, config.betaStart(), config.betaEnd());
            for (int t = 0; t < n; t++) {
                betas[t] = (float) exact[t];
            }
        }
        if (config.rescaleBetasZeroSnr()) {
            // diffusers rescales the float32 betas it holds; the rescaling itself runs in float64 here
            double[] held = new double[n];
            for (int t = 0; t < n; t++) {
                held[t] = betas[t];
            }
            double[] rescaled = ZeroTerminalSnr.rescale(held);
            for (int t = 0; t < n; t++) {
                betas[t] = (float) rescaled[t];
            }
        }
        return new NoiseSchedule(betas);
    }

    /** T, the number of training timesteps. */
    public int numTrainTimesteps() {
        return betas.length;
    }

    /** β_t (float32), t in [0, T). */
    public float beta(int t) {
        return betas[t];
    }

    /** ᾱ_t (float32), t in [0, T). */
    public float alphaCumprod(int t) {
        return alphasCumprod[t];
    }

    /** A copy of β_0..β_{T−1}. */
    public float[] betas() {
        return betas.clone();
    }

    /** A copy of ᾱ_0..ᾱ_{T−1}. */
    public float[] alphasCumprod() {
        return alphasCumprod.clone();
    }

    /** x_t = √ᾱ_t·x_0 + √(1 − ᾱ_t)·ε for integer {@code timesteps} in [0, T). */
    public NDArray addNoise(NDArray original, NDArray noise, NDArray timesteps) {
        int[] t = trainingTimesteps(timesteps, original);
        try (TempScope scope = new TempScope(original)) {
            NDArray signal = perSample(scope, original, t, false);
            NDArray noiseScale = perSample(scope, original, t, true);
            return scope.keep(signal.mul(original).add(noiseScale.mul(scope.use(noise))));
        }
    }

    /** v = √ᾱ_t·ε − √(1 − ᾱ_t)·x_0 (Salimans &amp; Ho 2022, §4) for integer {@code timesteps}. */
    public NDArray velocity(NDArray sample, NDArray noise, NDArray timesteps) {
        int[] t = trainingTimesteps(timesteps, sample);
        try (TempScope scope = new TempScope(sample)) {
            NDArray signal = perSample(scope, sample, t, false);
            NDArray noiseScale = perSample(scope, sample, t, true);
            return scope.keep(signal.mul(scope.use(noise)).sub(noiseScale.mul(sample)));
        }
    }

    /** √ᾱ_t, or √(1 − ᾱ_t), per batch entry, shaped (k, 1, ..., 1) to broadcast against {@code like}. */
    private NDArray perSample(TempScope scope, NDArray like, int[] t, boolean noisePart) {
        float[] values = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            float a = alphasCumprod[t[i]];
            values[i] = (float) Math.sqrt(noisePart ? 1f - a : a);
        }
        return broadcastable(scope, values, like);
    }

    /** {@code values} as a (k, 1, ..., 1) array of {@code like}'s rank and data type. */
    static NDArray broadcastable(TempScope scope, float[] values, NDArray like) {
        long[] dims = new long[like.getShape().dimension()];
        Arrays.fill(dims, 1);
        dims[0] = values.length;
        NDArray out = HostArrays.of(scope.manager(), values, new Shape(dims));
        return like.getDataType() == DataType.FLOAT32 ? out : out.toType(like.getDataType(), false);
    }

    /** The integer timesteps in {@code timesteps}, checked against T and the batch size of {@code like}. */
    int[] trainingTimesteps(NDArray timesteps, NDArray like) {
        double[] values = Timesteps.values(timesteps);
        Timesteps.checkBatch(values.length, like);
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = checkTimestep(values[i]);
        }
        return out;
    }

    /** {@code t} as an index, if it is an integer in [0, T). */
    int checkTimestep(double t) {
        if (t != Math.rint(t) || t < 0 || t >= betas.length) {
            throw new IllegalArgumentException("timestep " + t + " is not an integer in [0, " + betas.length + ")");
        }
        return (int) t;
    }
}
