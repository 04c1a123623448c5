package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Resampling;

/**
 * diffusers {@code Downsample2D}: halves the resolution with a 3×3 stride-2 convolution, or, without
 * a convolution, with 2×2 average pooling. With {@code padding} 0 the input is first padded by one
 * zero row at the bottom and one zero column at the right (diffusers' asymmetric-padding variant).
 *
 * <p>Shapes: (B, C, H, W) → (B, out, ⌊(H + 2p − 3)/2⌋ + 1, …) with the convolution (p = padding, or
 * p = ½ after the asymmetric pad), (B, C, ⌊H/2⌋, ⌊W/2⌋) with pooling. Keys: {@code conv} (none when
 * pooling). In the UNet blocks it sits at {@code downsamplers.0}.
 */
public final class Downsample2D extends Module {
    private final int channels;
    private final int padding;
    private final Conv2d conv;

    /**
     * @param useConv strided convolution (true) or average pooling (false, requires out = channels)
     * @param padding the convolution's zero padding on every side; 0 selects the asymmetric pad
     */
    public Downsample2D(NDManager manager, int channels, boolean useConv, int outChannels, int padding) {
        if (!useConv && outChannels != channels) {
            throw new IllegalArgumentException("average pooling keeps the channel count: channels " + channels
                    + " != outChannels " + outChannels);
        }
        this.channels = channels;
        this.padding = padding;
        this.conv = useConv ? registerModule("conv", new Conv2d(manager, channels, outChannels, 3, 2, padding)) : null;
    }

    /** Downsamples {@code hiddenStates} (B, C, H, W). */
    public NDArray forward(NDArray hiddenStates) {
        if (hiddenStates.getShape().get(1) != channels) {
            throw new IllegalArgumentException("expected " + channels + " channels, got shape " + hiddenStates.getShape());
        }
        if (conv == null) {
            return Resampling.avgPool2x(hiddenStates);                         // (B, C, H/2, W/2)
        }
        if (padding == 0) {
            hiddenStates = hiddenStates.pad(new Shape(0, 1, 0, 1), 0);         // (B, C, H+1, W+1)
        }
        return conv.forward(hiddenStates);                                     // (B, out, H', W')
    }
}
