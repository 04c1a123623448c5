package io.sara4j.diffusion.scheduler;

import static io.sara4j.diffusion.scheduler.DdpmScheduler.sqrt;

import ai.djl.ndarray.NDArray;

/**
 * Denoising diffusion implicit models (Song et al. 2021, arXiv:2010.02502; diffusers
 * {@code scheduling_ddim.py}): the non-Markovian sampler of the DDPM process, deterministic for
 * η = 0 and stochastic for η &gt; 0.
 *
 * <p>Timesteps: {@code timestep_spacing} (default {@code leading}) with {@code steps_offset}. Before
 * the first training step ᾱ is 1 if {@code set_alpha_to_one}, else ᾱ_0.
 */
public final class DdimScheduler implements Scheduler {
    private final SchedulerConfig config;
    private final NoiseSchedule schedule;
    private final double eta;
    private final float finalAlphaCumprod;
    private double[] timesteps;

    /** A deterministic (η = 0) DDIM sampler for {@code config}. */
    public DdimScheduler(SchedulerConfig config) {
        this(config, 0.0);
    }

    /**
     * A DDIM sampler with noise weight {@code eta} (0 = deterministic DDIM, 1 = DDPM-like variance).
     *
     * @throws IllegalArgumentException if {@code eta} is negative or not finite
     */
    public DdimScheduler(SchedulerConfig config, double eta) {
        if (!(eta >= 0) || Double.isInfinite(eta)) {
            throw new IllegalArgumentException("eta must be a finite value >= 0, got " + eta);
        }
        this.config = config;
        this.schedule = NoiseSchedule.of(config);
        this.eta = eta;
        this.finalAlphaCumprod = config.setAlphaToOne() ? 1f : schedule.alphaCumprod(0);
    }

    @Override
    public SchedulerConfig config() {
        return config;
    }

    /** β and ᾱ of the training process. */
    public NoiseSchedule noiseSchedule() {
        return schedule;
    }

    /** The noise weight η of {@link #step}. */
    public double eta() {
        return eta;
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

    /**
     * One DDIM update, eq. (12) of Song et al.:
     * x_{t'} = √ᾱ_{t'}·x̂_0 + √(1 − ᾱ_{t'} − σ_t²)·ε̂ + σ_t·z.
     *
     * <table>
     *   <caption>Notation (diffusers name in brackets)</caption>
     *   <tr><td>t, t'</td><td>this timestep and the previous one, t' = t − ⌊T/n⌋
     *       [timestep, prev_timestep]</td></tr>
     *   <tr><td>ᾱ_t, ᾱ_{t'}</td><td>cumulative alpha products; ᾱ_{t'} = final value when t' &lt; 0
     *       [alpha_prod_t, alpha_prod_t_prev]</td></tr>
     *   <tr><td>x_t</td><td>{@code sample}</td></tr>
     *   <tr><td>ε̂, v̂</td><td>{@code modelOutput} as noise or velocity [model_output]</td></tr>
     *   <tr><td>x̂_0</td><td>predicted clean sample [pred_original_sample]</td></tr>
     *   <tr><td>σ_t</td><td>η·√((1−ᾱ_{t'})/(1−ᾱ_t))·√(1 − ᾱ_t/ᾱ_{t'}) (eq. 16) [std_dev_t]</td></tr>
     *   <tr><td>z</td><td>standard normal noise from {@code noise}, only when η &gt; 0
     *       [variance_noise]</td></tr>
     * </table>
     */
    @Override
    public StepOutput step(NDArray modelOutput, double timestep, NDArray sample, NoiseSource noise) {
        requireTimesteps("step()");
        // 1. t' and the alphas at t and t'
        int t = schedule.checkTimestep(timestep);
        int prev = t - config.numTrainTimesteps() / timesteps.length;
        float alphaProd = schedule.alphaCumprod(t);
        float alphaProdPrev = prev >= 0 ? schedule.alphaCumprod(prev) : finalAlphaCumprod;
        float betaProd = 1f - alphaProd;

        try (TempScope scope = new TempScope(sample)) {
            NDArray output = scope.use(modelOutput);
            // 2. x̂_0 and ε̂ from the model output ("predicted x_0" of eq. 12)
            NDArray predOriginal;
            NDArray predEpsilon;
            if (config.predictionType() == PredictionType.EPSILON) {
                predOriginal = sample.sub(output.mul(sqrt(betaProd))).div(sqrt(alphaProd));
                predEpsilon = output;
            } else {
                predOriginal = sample.mul(sqrt(alphaProd)).sub(output.mul(sqrt(betaProd)));
                predEpsilon = output.mul(sqrt(alphaProd)).add(sample.mul(sqrt(betaProd)));
            }
            // 3. optional clamp of x̂_0
            if (config.clipSample()) {
                predOriginal = predOriginal.clip(-config.clipSampleRange(), config.clipSampleRange());
            }
            // 4. σ_t (eq. 16)
            float variance = (1f - alphaProdPrev) / betaProd * (1f - alphaProd / alphaProdPrev);
            float stdDev = (float) eta * sqrt(variance);
            // 5. "direction pointing to x_t" and x_{t'} (eq. 12)
            NDArray direction = predEpsilon.mul(sqrt(1f - alphaProdPrev - stdDev * stdDev));
            NDArray prevSample = predOriginal.mul(sqrt(alphaProdPrev)).add(direction);
            // 6. "random noise" term, only for η > 0
            if (eta > 0) {
                NDArray z = scope.use(noise.next(scope.manager(), sample.getShape()));
                prevSample = prevSample.add(z.mul(stdDev));
            }
            return new StepOutput(scope.keep(prevSample), scope.keep(predOriginal));
        }
    }

    @Override
    public NDArray addNoise(NDArray original, NDArray noise, NDArray timesteps) {
        return schedule.addNoise(original, noise, timesteps);
    }

    /** v = √ᾱ_t·ε − √(1 − ᾱ_t)·x_0. */
    public NDArray velocity(NDArray sample, NDArray noise, NDArray timesteps) {
        return schedule.velocity(sample, noise, timesteps);
    }

    private void requireTimesteps(String method) {
        if (timesteps == null) {
            throw new IllegalStateException("call setTimesteps(n) before " + method);
        }
    }
}
