package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.ModuleList;
import java.util.ArrayList;
import java.util.List;

/**
 * diffusers {@code CrossAttnDownBlock2D}: pairs of resnet → transformer, then an optional stride-2
 * downsampler; the output of every pair and of the downsampler are kept as skip connections.
 *
 * <p>Shapes: (B, in, H, W), temb (B, T), context (B, Lc, crossDim) → (B, out, H/2, W/2) with the
 * downsampler, (B, out, H, W) without. Keys: {@code resnets.N}, {@code attentions.N},
 * {@code downsamplers.0.conv}.
 */
public final class CrossAttnDownBlock2D extends UNetDownBlock {
    private final ModuleList<ResnetBlock2D> resnets;
    private final ModuleList<Transformer2DModel> attentions;
    private final ModuleList<Downsample2D> downsamplers;

    /**
     * @param numLayers number of resnet/transformer pairs
     * @param transformerLayers transformer blocks inside each {@link Transformer2DModel}
     * @param heads attention heads; each head is out/heads wide
     */
    public CrossAttnDownBlock2D(NDManager manager, int inChannels, int outChannels, int tembChannels, int numLayers,
            int transformerLayers, float resnetEps, int resnetGroups, float dropout, Activations act, int heads,
            int crossAttentionDim, boolean addDownsample, int downsamplePadding, boolean useLinearProjection,
            boolean onlyCrossAttention, boolean upcastAttention) {
        // diffusers registers `attentions` before `resnets`; the order only affects key listing.
        this.attentions = registerModule("attentions", new ModuleList<>());
        this.resnets = registerModule("resnets", new ModuleList<>());
        for (int i = 0; i < numLayers; i++) {
            resnets.add(new ResnetBlock2D(manager, i == 0 ? inChannels : outChannels, outChannels, tembChannels,
                    resnetGroups, resnetEps, dropout, act, 1f));
            attentions.add(new Transformer2DModel(manager, heads, outChannels / heads, outChannels, transformerLayers,
                    crossAttentionDim, resnetGroups, useLinearProjection, onlyCrossAttention, upcastAttention));
        }
        // A list holding one downsampler: the key reads `downsamplers.0.conv`.
        this.downsamplers = addDownsample ? registerModule("downsamplers", new ModuleList<>()) : null;
        if (addDownsample) {
            downsamplers.add(new Downsample2D(manager, outChannels, true, outChannels, downsamplePadding));
        }
    }

    @Override
    public Output forward(NDArray hiddenStates, NDArray temb, NDArray encoderHiddenStates) {
        List<NDArray> outputStates = new ArrayList<>();
        for (int i = 0; i < resnets.size(); i++) {
            hiddenStates = resnets.get(i).forward(hiddenStates, temb);                    // (B, out, H, W)
            hiddenStates = attentions.get(i).forward(hiddenStates, encoderHiddenStates);  // (B, out, H, W)
            outputStates.add(hiddenStates);
        }
        hiddenStates = downsample(downsamplers, hiddenStates, outputStates);   // (B, out, H/2, W/2) with downsamplers
        return new Output(hiddenStates, outputStates);
    }

    @Override
    public int numOutputStates() {
        return resnets.size() + (downsamplers == null ? 0 : 1);
    }
}
