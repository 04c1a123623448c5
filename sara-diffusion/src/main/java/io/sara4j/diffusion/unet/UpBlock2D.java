package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.ModuleList;
import java.util.List;

/**
 * diffusers {@code UpBlock2D}: for each resnet, the last remaining skip connection is concatenated
 * to the hidden states along channels (hidden first) and the resnet maps the sum of widths to
 * {@code out}; then an optional nearest-2× + 3×3 convolution upsampler.
 *
 * <p>Channel bookkeeping (n = numLayers, {@link UNetUpBlock#resnetInChannels}): resnet i reads
 * (i = 0 ? prev : out) + (i = n−1 ? in : out) channels, where {@code in} is the width of the
 * next-finer level (the skip coming from the previous level's downsampler or first resnet) and
 * {@code prev} the width of the block below.
 *
 * <p>Shapes: (B, prev, H, W) and n skips → (B, out, 2H, 2W) with the upsampler, (B, out, H, W)
 * without. Keys: {@code resnets.N}, {@code upsamplers.0.conv}.
 */
public final class UpBlock2D extends UNetUpBlock {
    private final ModuleList<ResnetBlock2D> resnets;
    private final ModuleList<Upsample2D> upsamplers;

    /**
     * @param inChannels width of the skip consumed by the last resnet
     * @param prevOutputChannels width of the incoming hidden states
     * @param numLayers number of resnets (the UNet passes layers_per_block + 1)
     */
    public UpBlock2D(NDManager manager, int inChannels, int prevOutputChannels, int outChannels, int tembChannels,
            int numLayers, float resnetEps, int resnetGroups, float dropout, Activations act, boolean addUpsample) {
        this.resnets = registerModule("resnets", new ModuleList<>());
        for (int i = 0; i < numLayers; i++) {
            int resnetIn = resnetInChannels(i, numLayers, inChannels, prevOutputChannels, outChannels);
            resnets.add(new ResnetBlock2D(manager, resnetIn, outChannels, tembChannels,
                    resnetGroups, resnetEps, dropout, act, 1f));
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
        for (ResnetBlock2D resnet : resnets) {
            NDArray skip = resHiddenStates.get(--next);                        // pop the last skip
            hiddenStates = concatSkip(hiddenStates, skip);                     // (B, C + C_skip, H, W)
            hiddenStates = resnet.forward(hiddenStates, temb);                 // (B, out, H, W)
        }
        return upsample(upsamplers, hiddenStates, upsampleSize);                // (B, out, 2H, 2W) with upsamplers
    }

    @Override
    public int numResnets() {
        return resnets.size();
    }
}
