package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.nn.Module;

/**
 * diffusers {@code GEGLU} (Shazeer 2020, "GLU variants improve Transformer", eq. 5): one linear
 * projection to twice the output width, split into a value half and a gate half, value · GELU(gate)
 * with the exact (erf) GELU.
 *
 * <p>Shapes: input (..., dimIn) → output (..., dimOut); proj weight (2·dimOut, dimIn).
 * Keys: {@code proj}.
 */
public final class GEGLU extends Module {
    private final Linear proj;

    /** A gated unit from {@code dimIn} to {@code dimOut}. */
    public GEGLU(NDManager manager, int dimIn, int dimOut) {
        this.proj = registerModule("proj", new Linear(manager, dimIn, dimOut * 2, true));
    }

    /** Applies the unit to {@code hiddenStates} (..., dimIn). */
    public NDArray forward(NDArray hiddenStates) {
        NDArray projected = proj.forward(hiddenStates);                                  // (..., 2·dimOut)
        NDList halves = projected.split(2, projected.getShape().dimension() - 1);        // 2 × (..., dimOut)
        NDArray value = halves.get(0);
        NDArray gate = halves.get(1);
        return value.mul(Activations.gelu(gate));
    }
}
