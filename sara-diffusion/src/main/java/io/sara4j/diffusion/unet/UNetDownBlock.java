package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import io.sara4j.core.nn.Module;
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
}
