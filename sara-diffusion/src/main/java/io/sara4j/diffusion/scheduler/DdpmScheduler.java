package io.sara4j.diffusion.scheduler;

import ai.djl.ndarray.NDArray;

/**
 * Denoising diffusion probabilistic models (Ho et al. 2020, arXiv:2006.11239; diffusers
 * {@code scheduling_ddpm.py}): the training noise process and its ancestral sampler.
 *
 * <p>Training: {@link #addNoise} draws x_t from x_0 (eq. 4) and {@link #trainingTarget} gives what
 * the model learns to predict (ε, or the velocity v for {@code v_prediction}).
 *
 * <p>Sampling step from t to t' = t − ⌊T/n⌋, with ᾱ_{t'} = 1 when t' &lt; 0:
 * <ol>
 *   <li>x̂_0 = (x_t − √(1−ᾱ_t)·ε̂) / √ᾱ_t (eq. 15), or x̂_0 = √ᾱ_t·x_t − √(1−ᾱ_t)·v̂; optionally
 *       clamped to ±{@code clip_sample_range};
 *   <li>with α = ᾱ_t/ᾱ_{t'} and β = 1 − α, the posterior mean (eq. 7)
 *       μ = √ᾱ_{t'}·β/(1−ᾱ_t)·x̂_0 + √α·(1−ᾱ_{t'})/(1−ᾱ_t)·x_t;
 *   <li>for t &gt; 0, x_{t'} = μ + σ·z with σ² = max((1−ᾱ_{t'})/(1−ᾱ_t)·β, 1e−20)
 *       ({@code fixed_small}) and z standard normal; for t = 0, x_{t'} = μ.
 * </ol>
 * Timesteps: {@code timestep_spacing} (default {@code leading}) with {@code steps_offset}.
 */
public final class DdpmScheduler implements Scheduler {
    private static final float MIN_VARIANCE = 1e-20f;

    private final SchedulerConfig config;
    private final NoiseSchedule schedule;
    private double[] timesteps;

    /** A scheduler for {@code config} (its {@code variance_type} is {@code fixed_small}). */
    public DdpmScheduler(SchedulerConfig config) {
        this.config = config;
        this.schedule = NoiseSchedule.of(config);
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
        timesteps = config.timestepSpacingOr(TimestepSpacing.LEADING)
                .timesteps(config.numTrainTimesteps(), numInferenceSteps, config.stepsOffset(), true);
    }

    @Override
    public double[] timesteps() {
        requireTimesteps("timesteps()");
        return timesteps.clone();
    }

    @Override
    public double initNoiseSigma() {
        return 1.0;
    }

    @Override
    public NDArray scaleModelInput(NDArray sample, double timestep) {
        return sample;
    }

    @Override
    public StepOutput step(NDArray modelOutput, double timestep, NDArray sample, NoiseSource noise) {
        requireTimesteps("step()");
        int t = schedule.checkTimestep(timestep);
        int prev = t - config.numTrainTimesteps() / timesteps.length;

        float alphaProd = schedule.alphaCumprod(t);
        float alphaProdPrev = prev >= 0 ? schedule.alphaCumprod(prev) : 1f;
        float betaProd = 1f - alphaProd;
        float betaProdPrev = 1f - alphaProdPrev;
        float currentAlpha = alphaProd / alphaProdPrev;
        float currentBeta = 1f - currentAlpha;

        try (TempScope scope = new TempScope(sample)) {
            NDArray output = scope.use(modelOutput);
            // 1. predicted x_0
            NDArray predOriginal = config.predictionType() == PredictionType.EPSILON
                    ? sample.sub(output.mul(sqrt(betaProd))).div(sqrt(alphaProd))
                    : sample.mul(sqrt(alphaProd)).sub(output.mul(sqrt(betaProd)));
            if (config.clipSample()) {
                predOriginal = predOriginal.clip(-config.clipSampleRange(), config.clipSampleRange());
            }
            // 2. posterior mean
            float originalCoeff = sqrt(alphaProdPrev) * currentBeta / betaProd;
            float currentCoeff = sqrt(currentAlpha) * betaProdPrev / betaProd;
            NDArray prevSample = predOriginal.mul(originalCoeff).add(sample.mul(currentCoeff));
            // 3. fresh noise with the posterior variance
            if (t > 0) {
                float variance = Math.max(betaProdPrev / betaProd * currentBeta, MIN_VARIANCE);
                NDArray z = scope.use(noise.next(scope.manager(), sample.getShape()));
                prevSample = prevSample.add(z.mul(sqrt(variance)));
            }
            return new StepOutput(scope.keep(prevSample), scope.keep(predOriginal));
        }
    }

    @Override
    public NDArray addNoise(NDArray original, NDArray noise, NDArray timesteps) {
        return schedule.addNoise(original, noise, timesteps);
    }

    /** v = √ᾱ_t·ε − √(1 − ᾱ_t)·x_0, the {@code v_prediction} target. */
    public NDArray velocity(NDArray sample, NDArray noise, NDArray timesteps) {
        return schedule.velocity(sample, noise, timesteps);
    }

    /**
     * What the model is trained to output for x_t = {@link #addNoise}(x_0, ε, t): ε itself (the
     * same array, not a copy) for {@code epsilon}, {@link #velocity} for {@code v_prediction}.
     */
    public NDArray trainingTarget(NDArray original, NDArray noise, NDArray timesteps) {
        return trainingTarget(config.predictionType(), original, noise, timesteps);
    }

    /**
     * The training target of {@code type} rather than of the config's {@code prediction_type} (a
     * trainer's {@code --prediction-type} override): ε itself for {@code epsilon}, {@link #velocity}
     * for {@code v_prediction}.
     */
    public NDArray trainingTarget(PredictionType type, NDArray original, NDArray noise, NDArray timesteps) {
        switch (type) {
            case EPSILON:
                return noise;
            case V_PREDICTION:
                return velocity(original, noise, timesteps);
            default:
                throw new AssertionError(type);
        }
    }

    private void requireTimesteps(String method) {
        if (timesteps == null) {
            throw new IllegalStateException("call setTimesteps(n) before " + method);
        }
    }

    /** √x rounded to float32, as a float32 tensor's {@code ** 0.5}. */
    static float sqrt(float x) {
        return (float) Math.sqrt(x);
    }
}
