package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;

/**
 * A change to one parameter's effective value, installed by a fine-tuning method.
 *
 * <p>Layers never read {@link Parameter#data()} directly; they call {@link Parameter#value()},
 * which hands the stored tensor to the installed adaptation. This is the single point where SaRA
 * (sparse values written into the frozen weight), LoRA and the sparse baselines plug into any model.
 *
 * <p>One exception, for efficiency: an adaptation may replace the whole linear map of a
 * {@link Linear} or {@link Conv2d} by implementing {@link LinearAdaptation} or
 * {@link Conv2dAdaptation} (LoRA computes x·Wᵀ + s·(x·Aᵀ)·Bᵀ without forming W + s·B·A). Such an
 * adaptation still implements {@link #apply(NDArray)}, which everything else (merging, inspection,
 * functional code that calls {@code value()}) uses.
 */
@FunctionalInterface
public interface Adaptation {
    /**
     * Returns the tensor the layer should compute with.
     *
     * @param base the stored, frozen tensor of the parameter (never modified by the caller)
     * @return the effective tensor, of the same shape as {@code base}; may carry autograd history
     */
    NDArray apply(NDArray base);
}
