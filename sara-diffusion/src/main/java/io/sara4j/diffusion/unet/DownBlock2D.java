package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.ModuleList;
import java.util.ArrayList;
import java.util.List;

/**
 * diffusers {@code DownBlock2D}: resnets, then an optional stride-2 downsampler; every resnet output
 * and the downsampler output are kept as skip connections.
 *
 * <p>Shapes: (B, in, H, W) → (B, out, H/2, W/2) with the downsampler, (B, out, H, W) without.
 * Keys: {@code resnets.N}, {@code downsamplers.0.conv} (a one-element list, as in diffusers).
 */
public final class DownBlock2D extends UNetDownBlock {
    private final ModuleList<ResnetBlock2D> resnets;
    private final ModuleList<Downsample2D> downsamplers;

    /**
     * @param numLayers number of resnets
     * @param addDownsample whether the block ends with a stride-2 downsampler
     */
    public DownBlock2D(NDManager manager, int inChannels, int outChannels, int tembChannels, int numLayers,
            float resnetEps, int resnetGroups, float dropout, Activations act, boolean addDownsample,
            int downsamplePadding) {
        this.resnets = registerModule("resnets", new ModuleList<>());
        for (int i = 0; i < numLayers; i++) {
            resnets.add(new ResnetBlock2D(manager, i == 0 ? inChannels : outChannels, outChannels, tembChannels,
                    resnetGroups, resnetEps, dropout, act, 1f));
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
        for (ResnetBlock2D resnet : resnets) {
            hiddenStates = resnet.forward(hiddenStates, temb);         // (B, out, H, W)
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
