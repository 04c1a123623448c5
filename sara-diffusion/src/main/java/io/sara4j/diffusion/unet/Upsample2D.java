package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.HostArrays;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Resampling;

/**
 * diffusers {@code Upsample2D} (convolution variant): nearest-neighbour enlargement, by 2 or to an
 * explicit size, then a 3×3 convolution.
 *
 * <p>An explicit size is what the UNet passes when the input is not a multiple of 2^(levels−1): the
 * enlarged map must match its skip connection. Output row i then copies input row
 * ⌊i · (H/H_out)⌋ (scale computed in float32), as {@code F.interpolate(size=..., mode="nearest")}.
 *
 * <p>Shapes: (B, C, H, W) → (B, out, 2H, 2W), or (B, out, H_out, W_out). Keys: {@code conv} (none
 * without the convolution). In the UNet blocks it sits at {@code upsamplers.0}.
 */
public final class Upsample2D extends Module {
    private final int channels;
    private final Conv2d conv;

    /** @param useConv whether the enlarged map goes through a 3×3 convolution to {@code outChannels} */
    public Upsample2D(NDManager manager, int channels, boolean useConv, int outChannels) {
        if (!useConv && outChannels != channels) {
            throw new IllegalArgumentException("without a convolution the channel count stays: channels " + channels
                    + " != outChannels " + outChannels);
        }
        this.channels = channels;
        this.conv = useConv ? registerModule("conv", new Conv2d(manager, channels, outChannels, 3, 1, 1)) : null;
    }

    /** Doubles the resolution of {@code hiddenStates} (B, C, H, W). */
    public NDArray forward(NDArray hiddenStates) {
        return forward(hiddenStates, null);
    }

    /**
     * Enlarges {@code hiddenStates} (B, C, H, W) to {@code outputSize} (H_out, W_out), or by 2 when
     * it is {@code null}.
     */
    public NDArray forward(NDArray hiddenStates, Shape outputSize) {
        Shape shape = hiddenStates.getShape();
        if (shape.get(1) != channels) {
            throw new IllegalArgumentException("expected " + channels + " channels, got shape " + shape);
        }
        NDArray hidden;
        if (outputSize == null || (outputSize.get(0) == 2 * shape.get(2) && outputSize.get(1) == 2 * shape.get(3))) {
            hidden = Resampling.upsampleNearest2x(hiddenStates);                           // (B, C, 2H, 2W)
        } else {
            hidden = nearest(hiddenStates, 2, outputSize.get(0));                          // (B, C, H_out, W)
            hidden = nearest(hidden, 3, outputSize.get(1));                                // (B, C, H_out, W_out)
        }
        return conv == null ? hidden : conv.forward(hidden);
    }

    /** Nearest-neighbour resize of one axis to {@code outSize}, with PyTorch's index rule. */
    private static NDArray nearest(NDArray x, int axis, long outSize) {
        long inSize = x.getShape().get(axis);
        if (inSize == outSize) {
            return x;
        }
        float scale = (float) inSize / (float) outSize;
        long[] source = new long[Math.toIntExact(outSize)];
        for (int i = 0; i < source.length; i++) {
            source[i] = Math.min((long) Math.floor(i * scale), inSize - 1);
        }
        NDArray index = HostArrays.of(x.getManager(), source);
        String spec = axis == 2 ? ":, :, {}" : ":, :, :, {}";
        return x.get(new NDIndex(spec, index));
    }
}
