package io.sara4j.diffusion.scheduler;

import ai.djl.ndarray.NDArray;

/**
 * A diffusion sampler's time discretisation and update rule, as diffusers' schedulers expose it.
 *
 * <p>Sampling loop: {@code setTimesteps(n)}; x = noise · {@code initNoiseSigma()}; for each t of
 * {@code timesteps()}: ε̂ = model({@code scaleModelInput(x, t)}, t);
 * x = {@code step(ε̂, t, x, noise).prevSample()}. Training uses {@code addNoise}.
 *
 * <p>Arrays: sample, model output and noise have the same shape, (B, C, H, W) for images;
 * timestep arrays are (B,) or (1,). Results are created in the manager of the sample; temporaries
 * are closed before a method returns. Implementations hold the inference schedule as mutable state
 * and are not thread-safe.
 */
public interface Scheduler {
    /** The configuration this scheduler was built from. */
    SchedulerConfig config();

    /**
     * Chooses the {@code numInferenceSteps} timesteps of a sampling run.
     *
     * @throws IllegalArgumentException unless 1 &lt;= numInferenceSteps &lt;= num_train_timesteps
     */
    void setTimesteps(int numInferenceSteps);

    /**
     * The timesteps of the sampling run, largest first (integers for DDPM/DDIM).
     *
     * @throws IllegalStateException before {@link #setTimesteps}
     */
    double[] timesteps();

    /** Standard deviation of the initial noise (1 except for σ-parameterised samplers). */
    double initNoiseSigma();

    /** The model input for {@code sample} at {@code timestep} (the sample itself unless σ-scaled). */
    NDArray scaleModelInput(NDArray sample, double timestep);

    /**
     * One reverse step from {@code sample} at {@code timestep}, given the model's output there.
     *
     * @param noise source of the step's fresh noise, used only by stochastic steps
     * @throws IllegalStateException "call setTimesteps(n) before step()"
     */
    StepOutput step(NDArray modelOutput, double timestep, NDArray sample, NoiseSource noise);

    /** A deterministic step; fails if the step would need noise. */
    default StepOutput step(NDArray modelOutput, double timestep, NDArray sample) {
        return step(modelOutput, timestep, sample, NoiseSource.none());
    }

    /**
     * The forward process: {@code original} noised with {@code noise} to level {@code timesteps}
     * (one per batch entry, or one for all).
     */
    NDArray addNoise(NDArray original, NDArray noise, NDArray timesteps);
}
