package io.sara4j.diffusion.scheduler;

import static io.sara4j.diffusion.scheduler.DdpmScheduler.sqrt;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;

/**
 * Euler's method on the probability-flow ODE in σ-parameterisation (Karras et al. 2022,
 * arXiv:2206.00364, Algorithm 2 without churn; diffusers {@code scheduling_euler_discrete.py}).
 *
 * <p>The sample is x = x_0 + σ·ε with σ_t = √((1 − ᾱ_t)/ᾱ_t). {@link #setTimesteps} picks n
 * timesteps ({@code timestep_spacing}, default {@code linspace}) and their σ by linear
 * interpolation of σ_t over t, then appends σ = 0. The model sees x/√(σ² + 1)
 * ({@link #scaleModelInput}); the initial noise has standard deviation σ_max, or √(σ_max² + 1)
 * with {@code leading} spacing, as in the reference.
 *
 * <p>Step i, from σ_i to σ_{i+1}:
 * <ol>
 *   <li>x̂_0 = x − σ_i·ε̂, or for {@code v_prediction} x̂_0 = v̂·(−σ_i/√(σ_i²+1)) + x/(σ_i²+1);
 *   <li>d = (x − x̂_0)/σ_i, the ODE slope dx/dσ;
 *   <li>x' = x + d·(σ_{i+1} − σ_i).
 * </ol>
 * <p>With {@code rescale_betas_zero_snr}, σ_T is computed from ᾱ_T = 2⁻²⁴ instead of 0 (diffusers'
 * choice), since σ_T = ∞ cannot start a run.
 *
 * <p>A step is located by its timestep value in {@link #timesteps()} (they are distinct for every
 * supported spacing), so the scheduler keeps no step counter.
 */
public final class EulerDiscreteScheduler implements Scheduler {
    /** ᾱ_T used for σ_T under {@code rescale_betas_zero_snr}: 2⁻²⁴, as diffusers. */
    static final float ZERO_SNR_TERMINAL_ALPHA_CUMPROD = 0x1.0p-24f;

    private final SchedulerConfig config;
    private final NoiseSchedule schedule;
    /** σ_t for every training timestep t, in float32 like the reference. */
    private final float[] trainingSigmas;
    private float[] timesteps;
    private float[] sigmas;

    /** A scheduler for {@code config}. */
    public EulerDiscreteScheduler(SchedulerConfig config) {
        this.config = config;
        this.schedule = NoiseSchedule.of(config);
        this.trainingSigmas = new float[schedule.numTrainTimesteps()];
        for (int t = 0; t < trainingSigmas.length; t++) {
            float a = schedule.alphaCumprod(t);
            if (config.rescaleBetasZeroSnr() && t == trainingSigmas.length - 1) {
                // ᾱ_T = 0 would make σ_T infinite; diffusers puts ᾱ_T at float16's smallest
                // subnormal instead, so the first σ of a trailing run is large but finite (≈ 4096)
                a = ZERO_SNR_TERMINAL_ALPHA_CUMPROD;
            }
            trainingSigmas[t] = sqrt((1f - a) / a);
        }
    }

    @Override
    public SchedulerConfig config() {
        return config;
    }

    /** β and ᾱ of the training process. */
    public NoiseSchedule noiseSchedule() {
        return schedule;
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        double[] chosen = config.timestepSpacingOr(TimestepSpacing.LINSPACE)
                .timesteps(config.numTrainTimesteps(), numInferenceSteps, config.stepsOffset(), false);
        float[] newTimesteps = new float[chosen.length];
        float[] newSigmas = new float[chosen.length + 1];
        for (int i = 0; i < chosen.length; i++) {
            newTimesteps[i] = (float) chosen[i];
            newSigmas[i] = (float) interpolateSigma(newTimesteps[i]);
        }
        newSigmas[chosen.length] = 0f;
        timesteps = newTimesteps;
        sigmas = newSigmas;
    }

    /** σ at (possibly fractional) timestep t: linear interpolation, clamped at both ends (np.interp). */
    private double interpolateSigma(double t) {
        int last = trainingSigmas.length - 1;
        if (t <= 0) {
            return trainingSigmas[0];
        }
        if (t >= last) {
            return trainingSigmas[last];
        }
        int lo = (int) Math.floor(t);
        double slope = ((double) trainingSigmas[lo + 1] - trainingSigmas[lo]);
        return slope * (t - lo) + trainingSigmas[lo];
    }

    @Override
    public double[] timesteps() {
        requireTimesteps("timesteps()");
        double[] out = new double[timesteps.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = timesteps[i];
        }
        return out;
    }

    /** σ_0..σ_{n−1} of the sampling run followed by the final 0 (n + 1 values, float32). */
    public float[] sigmas() {
        requireTimesteps("sigmas()");
        return sigmas.clone();
    }

    @Override
    public double initNoiseSigma() {
        requireTimesteps("initNoiseSigma()");
        float max = 0f;
        for (float s : sigmas) {
            max = Math.max(max, s);
        }
        if (config.timestepSpacingOr(TimestepSpacing.LINSPACE) == TimestepSpacing.LEADING) {
            return sqrt(max * max + 1f);
        }
        return max;
    }

    @Override
    public NDArray scaleModelInput(NDArray sample, double timestep) {
        requireTimesteps("scaleModelInput()");
        float sigma = sigmas[indexOf(timestep)];
        return sample.div(sqrt(sigma * sigma + 1f));
    }

    @Override
    public StepOutput step(NDArray modelOutput, double timestep, NDArray sample, NoiseSource noise) {
        requireTimesteps("step()");
        int i = indexOf(timestep);
        float sigma = sigmas[i];
        try (TempScope scope = new TempScope(sample)) {
            NDArray output = scope.use(modelOutput);
            // 1. x̂_0
            NDArray predOriginal;
            if (config.predictionType() == PredictionType.EPSILON) {
                predOriginal = sample.sub(output.mul(sigma));
            } else {
                float scale = sigma * sigma + 1f;
                predOriginal = output.mul(-sigma / sqrt(scale)).add(sample.div(scale));
            }
            // 2. slope dx/dσ, 3. Euler step to the next σ
            NDArray derivative = sample.sub(predOriginal).div(sigma);
            float dt = sigmas[i + 1] - sigma;
            NDArray prevSample = sample.add(derivative.mul(dt));
            return new StepOutput(scope.keep(prevSample), scope.keep(predOriginal));
        }
    }

    /**
     * x = x_0 + σ·ε, with σ looked up by timestep value in the sampling run's timesteps (or, before
     * {@link #setTimesteps}, σ_t of the integer training timestep t).
     */
    @Override
    public NDArray addNoise(NDArray original, NDArray noise, NDArray timesteps) {
        double[] t = Timesteps.values(timesteps);
        Timesteps.checkBatch(t.length, original);
        float[] perSample = new float[t.length];
        for (int k = 0; k < t.length; k++) {
            perSample[k] = this.timesteps != null ? sigmas[indexOf(t[k])] : trainingSigmas[schedule.checkTimestep(t[k])];
        }
        try (TempScope scope = new TempScope(original)) {
            NDArray sigma = NoiseSchedule.broadcastable(scope, perSample, original);
            return scope.keep(original.add(scope.use(noise).mul(sigma)));
        }
    }

    private int indexOf(double timestep) {
        float t = (float) timestep;
        for (int i = 0; i < timesteps.length; i++) {
            if (timesteps[i] == t) {
                return i;
            }
        }
        throw new IllegalArgumentException("timestep " + timestep + " is not one of this run's timesteps "
                + Arrays.toString(timesteps));
    }

    private void requireTimesteps(String method) {
        if (timesteps == null) {
            throw new IllegalStateException("call setTimesteps(n) before " + method);
        }
    }
}
