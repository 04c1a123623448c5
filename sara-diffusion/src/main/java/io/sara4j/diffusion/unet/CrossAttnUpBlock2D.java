package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.ModuleList;
import java.util.List;

/**
 * diffusers {@code CrossAttnUpBlock2D}: for each resnet/transformer pair, the last remaining skip
 * connection is concatenated to the hidden states along channels (hidden first), then resnet, then
 * transformer; then an optional nearest-2× + 3×3 convolution upsampler. Channel bookkeeping as in
 * {@link UpBlock2D}.
 *
 * <p>Shapes: (B, prev, H, W), n skips, temb (B, T), context (B, Lc, crossDim) → (B, out, 2H, 2W)
 * with the upsampler, (B, out, H, W) without. Keys: {@code attentions.N}, {@code resnets.N},
 * {@code upsamplers.0.conv}.
 */
public final class CrossAttnUpBlock2D extends UNetUpBlock {
    private final ModuleList<Transformer2DModel> attentions;
    private final ModuleList<ResnetBlock2D> resnets;
    private final ModuleList<Upsample2D> upsamplers;

    /**
     * @param inChannels width of the skip consumed by the last resnet
     * @param prevOutputChannels width of the incoming hidden states
     * @param numLayers number of resnet/transformer pairs (the UNet passes layers_per_block + 1)
     * @param heads attention heads; each head is out/heads wide
     */
    public CrossAttnUpBlock2D(NDManager manager, int inChannels, int prevOutputChannels, int outChannels,
            int tembChannels, int numLayers, int transformerLayers, float resnetEps, int resnetGroups, float dropout,
            Activations act, int heads, int crossAttentionDim, boolean addUpsample, boolean useLinearProjection,
            boolean onlyCrossAttention, boolean upcastAttention) {
        // diffusers registers `attentions` before `resnets`; the order only affects key listing.
        this.attentions = registerModule("attentions", new ModuleList<>());
        this.resnets = registerModule("resnets", new ModuleList<>());
        for (int i = 0; i < numLayers; i++) {
            int resnetIn = resnetInChannels(i, numLayers, inChannels, prevOutputChannels, outChannels);
            resnets.add(new ResnetBlock2D(manager, resnetIn, outChannels, tembChannels,
                    resnetGroups, resnetEps, dropout, act, 1f));
            attentions.add(new Transformer2DModel(manager, heads, outChannels / heads, outChannels, transformerLayers,
                    crossAttentionDim, resnetGroups, useLinearProjection, onlyCrossAttention, upcastAttention));
        }
        // A list holding one upsampler: the key reads `upsamplers.0.conv`.
        this.upsamplers = addUpsample ? registerModule("upsamplers", new ModuleList<>()) : null;
        if (addUpsample) {
            upsamplers.add(new Upsample2D(manager, outChannels, true, outChannels));
        }
    }

    @Override
    public NDArray forward(NDArray hiddenStates, List<NDArray> resHiddenStates, NDArray temb,
            NDArray encoderHiddenStates, Shape upsampleSize) {
        checkSkips(resHiddenStates);
        int next = resHiddenStates.size();
        for (int i = 0; i < resnets.size(); i++) {
            NDArray skip = resHiddenStates.get(--next);                                  // pop the last skip
            hiddenStates = concatSkip(hiddenStates, skip);                               // (B, C + C_skip, H, W)
            hiddenStates = resnets.get(i).forward(hiddenStates, temb);                   // (B, out, H, W)
            hiddenStates = attentions.get(i).forward(hiddenStates, encoderHiddenStates); // (B, out, H, W)
        }
        return upsample(upsamplers, hiddenStates, upsampleSize);                // (B, out, 2H, 2W) with upsamplers
    }

    @Override
    public int numResnets() {
        return resnets.size();
    }
}
