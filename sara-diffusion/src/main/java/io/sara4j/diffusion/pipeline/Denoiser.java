package io.sara4j.diffusion.pipeline;

import ai.djl.ndarray.NDArray;

/**
 * The network of a diffusion model seen from the training and sampling loops: a prediction for a
 * noisy sample at some timesteps under a conditioning. {@code UNet2DConditionModel::forward} is one.
 */
@FunctionalInterface
public interface Denoiser {
    /**
     * @param noisySample (B, C, H, W)
     * @param timesteps (B) timesteps, int64 or float
     * @param conditioning (B, L, D) text-encoder states
     * @return the prediction, shape (B, C, H, W): ε or v depending on the model's prediction type
     */
    NDArray predict(NDArray noisySample, NDArray timesteps, NDArray conditioning);
}
