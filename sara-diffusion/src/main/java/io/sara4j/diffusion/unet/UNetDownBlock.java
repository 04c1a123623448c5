package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.ModuleList;
import java.util.List;

/**
 * What the UNet needs from a down block ({@link CrossAttnDownBlock2D}, {@link DownBlock2D}): one
 * forward that returns the block's output and the skip connections it produced, in order.
 */
public abstract sealed class UNetDownBlock extends Module permits CrossAttnDownBlock2D, DownBlock2D {

    /**
     * The result of a down block.
     *
     * @param hiddenStates the output, (B, out, H', W') (H' = H/2 when the block downsamples)
     * @param outputStates the skip connections, one per resnet plus one after the downsampler, in
     *     the order they were produced
     */
    public record Output(NDArray hiddenStates, List<NDArray> outputStates) {
        /** Copies the list. */
        public Output {
            outputStates = List.copyOf(outputStates);
        }
    }

    /**
     * @param hiddenStates (B, in, H, W)
     * @param temb the time embedding (B, tembChannels)
     * @param encoderHiddenStates the text context (B, Lc, crossDim); ignored by blocks without attention
     */
    public abstract Output forward(NDArray hiddenStates, NDArray temb, NDArray encoderHiddenStates);

    /** Number of skip connections {@link #forward} returns. */
    public abstract int numOutputStates();

    /**
     * The end of every down block's forward: the downsamplers, if the block has them, and their
     * output kept as one more skip connection after the resnets' (diffusers'
     * {@code output_states += (hidden_states,)}).
     *
     * @param downsamplers the block's one-element {@code downsamplers} list, or {@code null}
     * @return the hidden states after downsampling, (B, C, H/2, W/2), or unchanged without downsamplers
     */
    static NDArray downsample(ModuleList<Downsample2D> downsamplers, NDArray hiddenStates, List<NDArray> outputStates) {
        if (downsamplers == null) {
            return hiddenStates;
        }
        for (Downsample2D downsampler : downsamplers) {
            hiddenStates = downsampler.forward(hiddenStates);                  // (B, C, H/2, W/2)
        }
        outputStates.add(hiddenStates);
        return hiddenStates;
    }
}
