package io.sara4j.diffusion.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Resampling;

/**
 * diffusers {@code Upsample2D} as the VAE decoder builds it ({@code use_conv=True}): nearest-neighbour
 * 2× enlargement, then a 3×3 convolution with padding 1.
 *
 * <p>Shapes: (N, C, H, W) → (N, C, 2H, 2W). Keys: {@code conv.weight} (C, C, 3, 3), {@code conv.bias} (C).
 */
public final class VaeUpsample2D extends Module {
    private final Conv2d conv;

    /** An upsampler keeping {@code channels} channels. */
    public VaeUpsample2D(NDManager manager, int channels) {
        this.conv = registerModule("conv", new Conv2d(manager, channels, channels, 3, 1, 1));
    }

    /** Doubles the spatial size of {@code hiddenStates} (N, C, H, W). */
    public NDArray forward(NDArray hiddenStates) {
        // diffusers routes bfloat16 through float32 here for a missing torch kernel; copying values is exact, so no cast
        NDArray h = Resampling.upsampleNearest2x(hiddenStates); // (N, C, 2H, 2W)
        return conv.forward(h);                                 // (N, C, 2H, 2W)
    }
}
