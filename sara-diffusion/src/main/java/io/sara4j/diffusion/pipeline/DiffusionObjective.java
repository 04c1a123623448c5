package io.sara4j.diffusion.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.diffusion.scheduler.DdpmScheduler;

/**
 * The denoising training objective (Ho et al. 2020, "simple" loss, eq. 14; v-prediction as in
 * Salimans &amp; Ho 2022): for clean samples x₀, draw ε ~ N(0, I) and t ~ U{0, …, T−1} per sample,
 * form x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε, and return the mean squared error between the network's
 * prediction at (x_t, t) and the target of the scheduler's prediction type (ε, or
 * v = √ᾱ_t·ε − √(1−ᾱ_t)·x₀).
 *
 * <p>x₀ are VAE latents already multiplied by the VAE's scaling factor, or pixels in [−1, 1] for a
 * pixel-space model. Noise and timesteps come from the caller's {@link SeededNoise}, so a seed fixes
 * the whole run.
 */
public final class DiffusionObjective {
    private final DdpmScheduler noiseScheduler;

    /** An objective using {@code noiseScheduler}'s ᾱ schedule and prediction type. */
    public DiffusionObjective(DdpmScheduler noiseScheduler) {
        this.noiseScheduler = noiseScheduler;
    }

    /**
     * The loss of one batch, a scalar in {@code x0}'s manager (with autograd history when called
     * inside a gradient collector).
     *
     * @param x0 clean samples (B, C, H, W)
     * @param conditioning (B, L, D) text states
     */
    public NDArray loss(Denoiser model, NDArray x0, NDArray conditioning, SeededNoise random) {
        NDManager manager = x0.getManager();
        int batch = (int) x0.getShape().get(0);
        NDArray noise = random.normal(manager, x0.getShape());
        NDArray timesteps = random.integers(manager, batch, noiseScheduler.config().numTrainTimesteps());
        NDArray noisy = noiseScheduler.addNoise(x0, noise, timesteps);
        NDArray target = noiseScheduler.trainingTarget(x0, noise, timesteps);
        NDArray prediction = model.predict(noisy, timesteps, conditioning);
        return prediction.sub(target).square().mean();
    }

    /** The scheduler that defines the forward process. */
    public DdpmScheduler noiseScheduler() {
        return noiseScheduler;
    }
}
