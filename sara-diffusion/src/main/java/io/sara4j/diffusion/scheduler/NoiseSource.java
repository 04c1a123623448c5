package io.sara4j.diffusion.scheduler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Where a stochastic scheduler step gets its standard normal noise (the {@code generator} or
 * {@code variance_noise} argument of diffusers' {@code step}). Called only when the step actually
 * adds noise (DDPM at t &gt; 0, DDIM with η &gt; 0), at most once per step.
 *
 * <p>A seeded Java-side generator fits as a method reference, e.g. {@code seededNoise::normal}.
 */
@FunctionalInterface
public interface NoiseSource {
    /** Standard normal noise of {@code shape}, float32; may be created in {@code manager}. */
    NDArray next(NDManager manager, Shape shape);

    /** Always returns {@code noise} (which must have the requested shape): replays given noise. */
    static NoiseSource fixed(NDArray noise) {
        return (manager, shape) -> {
            if (!noise.getShape().equals(shape)) {
                throw new IllegalArgumentException("fixed noise has shape " + noise.getShape()
                        + " but the step needs " + shape);
            }
            return noise;
        };
    }

    /** For deterministic steps: fails if a step asks for noise. */
    static NoiseSource none() {
        return (manager, shape) -> {
            throw new IllegalStateException("this step adds noise: pass a NoiseSource (fixed noise or a"
                    + " seeded generator) to step()");
        };
    }
}
