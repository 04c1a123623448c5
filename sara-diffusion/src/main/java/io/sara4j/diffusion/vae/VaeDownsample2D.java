package io.sara4j.diffusion.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.Module;

/**
 * diffusers {@code Downsample2D} as the VAE encoder builds it ({@code use_conv=True},
 * {@code padding=0}): zero-pad one row at the bottom and one column at the right, then a 3×3
 * convolution with stride 2 and no padding. The asymmetric pad is what the original LDM
 * autoencoder was trained with; a symmetric padding of 1 would shift every output by one pixel.
 *
 * <p>Shapes: (N, C, H, W) → (N, C, ⌊(H − 2)/2⌋ + 1, ⌊(W − 2)/2⌋ + 1), that is (H/2, W/2) for even
 * sizes. Keys: {@code conv.weight} (C, C, 3, 3), {@code conv.bias} (C).
 */
public final class VaeDownsample2D extends Module {
    private final Conv2d conv;

    /** A downsampler keeping {@code channels} channels. */
    public VaeDownsample2D(NDManager manager, int channels) {
        // diffusers names the layer "op" and stores it under `conv`
        this.conv = registerModule("conv", new Conv2d(manager, channels, channels, 3, 2, 0));
    }

    /** Halves the spatial size of {@code hiddenStates} (N, C, H, W). */
    public NDArray forward(NDArray hiddenStates) {
        // pad widths are listed last axis first, as torch.nn.functional.pad: (left, right, top, bottom)
        NDArray padded = hiddenStates.pad(new Shape(0, 1, 0, 1), 0); // (N, C, H + 1, W + 1)
        return conv.forward(padded);                                // (N, C, H/2, W/2)
    }
}
