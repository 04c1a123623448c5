package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;

/**
 * An {@link Adaptation} of a {@link Linear} weight that computes the whole adapted linear map
 * itself, for efficiency: LoRA's y = x·Wᵀ + b + s·(x·Aᵀ)·Bᵀ never forms W + s·B·A, so backward
 * computes only the factors' gradients (B·L·r·(in + out) multiply-adds) instead of a weight-shaped
 * gradient (B·L·in·out, the cost of full fine-tuning for that layer) plus a weight-sized temporary.
 *
 * <p><b>The one exception to "layers read weights only through {@link Parameter#value()}".</b>
 * {@link Linear#forward} calls {@link #linear} instead of {@code linear(x, weight.value(), b)}
 * when the weight's adaptation implements this interface. Nothing else changes:
 * {@link #apply(NDArray)} must still return the effective weight, and both paths must compute the
 * same function (up to rounding; with dropout, the same function in expectation, and exactly the
 * same when the layer is not training). Merging, inspection and any code that composes
 * {@code Linear.linear(x, p.value(), b)} itself use {@code apply}.
 */
public interface LinearAdaptation extends Adaptation {
    /**
     * The adapted layer applied to {@code x}.
     *
     * @param x input (..., in); results belong to its manager
     * @param baseWeight the stored, frozen weight (out, in); not modified
     * @param bias the bias to add (out), already through its own adaptation, or {@code null}
     * @param training whether the layer is in training mode (dropout active)
     * @return (..., out)
     */
    NDArray linear(NDArray x, NDArray baseWeight, NDArray bias, boolean training);
}
