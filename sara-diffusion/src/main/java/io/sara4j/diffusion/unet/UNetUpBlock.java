package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.ModuleList;
import java.util.List;

/**
 * What the UNet needs from an up block ({@link CrossAttnUpBlock2D}, {@link UpBlock2D}): a forward
 * that consumes one skip connection per resnet, taken from the end of the list it is given, as
 * diffusers pops {@code res_hidden_states_tuple[-1]}.
 */
public abstract sealed class UNetUpBlock extends Module permits CrossAttnUpBlock2D, UpBlock2D {

    /**
     * @param hiddenStates (B, prev, H, W)
     * @param resHiddenStates exactly {@link #numResnets()} skip connections in the order the down path
     *     produced them; the last one is concatenated first
     * @param temb the time embedding (B, tembChannels)
     * @param encoderHiddenStates the text context (B, Lc, crossDim); ignored by blocks without attention
     * @param upsampleSize (H_out, W_out) for the upsampler, or {@code null} for 2×
     * @return (B, out, H_out, W_out), or (B, out, H, W) without an upsampler
     */
    public abstract NDArray forward(NDArray hiddenStates, List<NDArray> resHiddenStates, NDArray temb,
            NDArray encoderHiddenStates, Shape upsampleSize);

    /** Number of resnets, hence of skip connections consumed. */
    public abstract int numResnets();

    /**
     * Input width of resnet {@code i} of {@code numLayers} (diffusers' {@code resnet_in_channels +
     * res_skip_channels}): the hidden states it receives, {@code prevOutputChannels} (the block
     * below) for the first resnet and {@code outChannels} after it, plus the skip it consumes,
     * {@code inChannels} (the next-finer level's width: that skip came from the previous level's
     * downsampler or first resnet) for the last resnet and {@code outChannels} for the others.
     */
    static int resnetInChannels(int i, int numLayers, int inChannels, int prevOutputChannels, int outChannels) {
        int hidden = i == 0 ? prevOutputChannels : outChannels;
        int skip = i == numLayers - 1 ? inChannels : outChannels;
        return hidden + skip;
    }

    /**
     * The end of every up block's forward: the upsamplers, if the block has them.
     *
     * @param upsamplers the block's one-element {@code upsamplers} list, or {@code null}
     * @param upsampleSize (H_out, W_out), or {@code null} for 2×
     */
    static NDArray upsample(ModuleList<Upsample2D> upsamplers, NDArray hiddenStates, Shape upsampleSize) {
        if (upsamplers == null) {
            return hiddenStates;
        }
        for (Upsample2D upsampler : upsamplers) {
            hiddenStates = upsampler.forward(hiddenStates, upsampleSize);      // (B, C, 2H, 2W)
        }
        return hiddenStates;
    }

    /** Concatenates the skip connection {@code skip} to {@code hiddenStates} along channels, in diffusers' order. */
    static NDArray concatSkip(NDArray hiddenStates, NDArray skip) {
        return hiddenStates.concat(skip, 1); // (B, C + C_skip, H, W)
    }

    /** Checks that {@code resHiddenStates} has one entry per resnet. */
    void checkSkips(List<NDArray> resHiddenStates) {
        if (resHiddenStates.size() != numResnets()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " needs " + numResnets()
                    + " skip connections, got " + resHiddenStates.size());
        }
    }
}
