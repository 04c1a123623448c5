package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.nn.Module;

/**
 * diffusers {@code TimestepEmbedding}: the MLP that turns the sinusoidal projection into the time
 * embedding every resnet receives, linear → activation → linear.
 *
 * <p>Shapes: input (B, inChannels) → output (B, timeEmbedDim). Keys: {@code linear_1}, {@code linear_2}.
 */
public final class TimestepEmbedding extends Module {
    private final Linear linear1;
    private final Activations act;
    private final Linear linear2;

    /** An MLP from {@code inChannels} to {@code timeEmbedDim} with {@code act} in between. */
    public TimestepEmbedding(NDManager manager, int inChannels, int timeEmbedDim, Activations act) {
        this.linear1 = registerModule("linear_1", new Linear(manager, inChannels, timeEmbedDim, true));
        this.act = act;
        this.linear2 = registerModule("linear_2", new Linear(manager, timeEmbedDim, timeEmbedDim, true));
    }

    /** Embeds {@code sample} (B, inChannels) → (B, timeEmbedDim). */
    public NDArray forward(NDArray sample) {
        NDArray hidden = linear1.forward(sample); // (B, timeEmbedDim)
        hidden = act.apply(hidden);
        return linear2.forward(hidden);           // (B, timeEmbedDim)
    }
}
