package io.sara4j.diffusion.scheduler;

import ai.djl.ndarray.NDArray;

/**
 * The result of one reverse-diffusion step; both arrays have the sample's shape and live in the
 * sample's manager.
 *
 * @param prevSample x_{t−1} (for Euler: the sample at the next, smaller σ), the next model input
 * @param predOriginalSample the x_0 predicted from this step's model output
 */
public record StepOutput(NDArray prevSample, NDArray predOriginalSample) {}
