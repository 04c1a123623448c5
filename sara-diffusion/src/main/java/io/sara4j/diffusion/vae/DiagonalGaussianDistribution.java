package io.sara4j.diffusion.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * diffusers {@code DiagonalGaussianDistribution}: the VAE posterior q(z | x) = N(mean, diag(var)),
 * read from the moments the encoder produces.
 *
 * <p>Shapes: parameters (N, 2C, h, w), split along the channel axis into mean (N, C, h, w) and
 * log-variance (N, C, h, w); log-variance clamped to [−30, 20] before std = exp(logvar / 2) and
 * var = exp(logvar). Every value is an NDArray in the parameters' manager and differentiable.
 */
public final class DiagonalGaussianDistribution {
    /** Lower clamp of the log-variance. */
    public static final float LOGVAR_MIN = -30f;
    /** Upper clamp of the log-variance. */
    public static final float LOGVAR_MAX = 20f;

    private final NDArray mean;
    private final NDArray logvar;
    private final NDArray std;
    private final NDArray var;

    /** Splits {@code parameters} (N, 2C, h, w) into mean and clamped log-variance. */
    public DiagonalGaussianDistribution(NDArray parameters) {
        if (parameters.getShape().dimension() != 4 || parameters.getShape().get(1) % 2 != 0) {
            throw new IllegalArgumentException("expected moments of shape (N, 2C, h, w), found "
                    + parameters.getShape());
        }
        NDList halves = parameters.split(2, 1);
        this.mean = halves.get(0);                              // (N, C, h, w)
        this.logvar = halves.get(1).clip(LOGVAR_MIN, LOGVAR_MAX); // (N, C, h, w)
        this.std = logvar.mul(0.5f).exp();
        this.var = logvar.exp();
    }

    /**
     * A draw mean + std·noise (the reparameterisation trick).
     *
     * @param noise standard normal values of the mean's shape (N, C, h, w), for example from a
     *     seeded generator, so that the draw is reproducible
     */
    public NDArray sample(NDArray noise) {
        if (!noise.getShape().equals(mean.getShape())) {
            throw new IllegalArgumentException("noise must have the latent shape " + mean.getShape()
                    + ", found " + noise.getShape());
        }
        return mean.add(std.mul(noise.toType(mean.getDataType(), false)));
    }

    /** The most likely latent: the mean (N, C, h, w). */
    public NDArray mode() {
        return mean;
    }

    /** KL(q ‖ N(0, I)) per sample: ½·Σ(mean² + var − 1 − logvar) over (C, h, w); shape (N). */
    public NDArray kl() {
        return mean.square().add(var).sub(1f).sub(logvar).sum(new int[] {1, 2, 3}).mul(0.5f);
    }

    /** The mean (N, C, h, w). */
    public NDArray mean() {
        return mean;
    }

    /** The clamped log-variance (N, C, h, w). */
    public NDArray logvar() {
        return logvar;
    }

    /** exp(logvar / 2), (N, C, h, w). */
    public NDArray std() {
        return std;
    }

    /** exp(logvar), (N, C, h, w). */
    public NDArray var() {
        return var;
    }
}
