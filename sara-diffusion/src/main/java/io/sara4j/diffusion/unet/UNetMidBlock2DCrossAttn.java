package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.ModuleList;

/**
 * diffusers {@code UNetMidBlock2DCrossAttn}: a resnet, then {@code numLayers} transformer → resnet
 * pairs, all at the coarsest resolution and constant width.
 *
 * <p>Shapes: (B, C, H, W), temb (B, T), context (B, Lc, crossDim) → (B, C, H, W).
 * Keys: {@code attentions.N}, {@code resnets.0..numLayers}.
 */
public final class UNetMidBlock2DCrossAttn extends Module {
    private final ModuleList<Transformer2DModel> attentions;
    private final ModuleList<ResnetBlock2D> resnets;

    /**
     * @param numLayers transformer/resnet pairs after the first resnet (the UNet uses 1)
     * @param outputScaleFactor the resnets' output scale ({@code mid_block_scale_factor})
     * @param heads attention heads; each head is channels/heads wide
     */
    public UNetMidBlock2DCrossAttn(NDManager manager, int channels, int tembChannels, int numLayers,
            int transformerLayers, float resnetEps, int resnetGroups, float dropout, Activations act,
            float outputScaleFactor, int heads, int crossAttentionDim, boolean useLinearProjection,
            boolean upcastAttention) {
        // diffusers registers `attentions` before `resnets`; the order only affects key listing.
        this.attentions = registerModule("attentions", new ModuleList<>());
        this.resnets = registerModule("resnets", new ModuleList<>());
        resnets.add(new ResnetBlock2D(manager, channels, channels, tembChannels, resnetGroups, resnetEps, dropout,
                act, outputScaleFactor));
        for (int i = 0; i < numLayers; i++) {
            attentions.add(new Transformer2DModel(manager, heads, channels / heads, channels, transformerLayers,
                    crossAttentionDim, resnetGroups, useLinearProjection, false, upcastAttention));
            resnets.add(new ResnetBlock2D(manager, channels, channels, tembChannels, resnetGroups, resnetEps, dropout,
                    act, outputScaleFactor));
        }
    }

    /** Applies the block to {@code hiddenStates} (B, C, H, W). */
    public NDArray forward(NDArray hiddenStates, NDArray temb, NDArray encoderHiddenStates) {
        hiddenStates = resnets.get(0).forward(hiddenStates, temb);                       // (B, C, H, W)
        for (int i = 0; i < attentions.size(); i++) {
            hiddenStates = attentions.get(i).forward(hiddenStates, encoderHiddenStates); // (B, C, H, W)
            hiddenStates = resnets.get(i + 1).forward(hiddenStates, temb);               // (B, C, H, W)
        }
        return hiddenStates;
    }
}
