package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;

/**
 * The convolution analogue of {@link LinearAdaptation}: an {@link Adaptation} of a {@link Conv2d}
 * weight that computes the adapted convolution itself (LoRA: conv(x, W) + s·conv1×1(conv(x, A), B)
 * with A (r, in, k, k) and B (out, r, 1, 1), as peft does), so that no weight-shaped gradient is
 * formed. {@link Conv2d#forward} uses it when the weight's adaptation implements it; it is the same
 * single, documented exception to reading weights through {@link Parameter#value()}, and
 * {@link #apply(NDArray)} must still return the effective weight.
 */
public interface Conv2dAdaptation extends Adaptation {
    /**
     * The adapted convolution applied to {@code x}.
     *
     * @param x input (N, in, H, W); results belong to its manager
     * @param baseWeight the stored, frozen weight (out, in/groups, k, k); not modified
     * @param bias the bias (out), already through its own adaptation, or {@code null}
     * @param training whether the layer is in training mode (dropout active)
     * @return (N, out, H', W')
     */
    NDArray conv2d(NDArray x, NDArray baseWeight, NDArray bias, int stride, int padding, int dilation, int groups,
            boolean training);
}
