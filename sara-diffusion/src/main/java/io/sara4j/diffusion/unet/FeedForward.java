package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Dropout;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.ModuleList;

/**
 * diffusers {@code FeedForward} with the {@code geglu} activation, as in every Stable Diffusion
 * transformer block: GEGLU to the inner width (4 × dim), dropout, linear back to dim.
 *
 * <p>Shapes: input (..., dim) → output (..., dim). Keys: {@code net.0.proj} (the GEGLU projection),
 * {@code net.2} (the output projection); {@code net.1} is the parameterless dropout, kept so the
 * indices match diffusers.
 */
public final class FeedForward extends Module {
    private final GEGLU projectIn;
    private final Dropout dropout;
    private final Linear projectOut;

    /** A feed-forward block of width {@code dim} with inner width {@code mult · dim}. */
    public FeedForward(NDManager manager, int dim, int mult, float dropout) {
        int inner = dim * mult;
        ModuleList<Module> net = registerModule("net", new ModuleList<>());
        this.projectIn = new GEGLU(manager, dim, inner);
        this.dropout = new Dropout(dropout);
        this.projectOut = new Linear(manager, inner, dim, true);
        net.add(projectIn);
        net.add(this.dropout);
        net.add(projectOut);
    }

    /** Applies the block to {@code hiddenStates} (..., dim). */
    public NDArray forward(NDArray hiddenStates) {
        NDArray hidden = projectIn.forward(hiddenStates); // (..., inner)
        hidden = dropout.forward(hidden);
        return projectOut.forward(hidden);                // (..., dim)
    }
}
