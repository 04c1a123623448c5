package io.sara4j.diffusion.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.ModuleList;
import io.sara4j.diffusion.unet.Downsample2D;

/**
 * diffusers {@code DownEncoderBlock2D}: {@code num_layers} resnets, then (except in the last block)
 * a stride-2 downsampler.
 *
 * <p>Shapes: (N, in, H, W) → (N, out, H/2, W/2), or (N, out, H, W) without downsampler. Keys:
 * {@code resnets.i.*} ({@link VaeResnetBlock2D}; only {@code resnets.0} changes the channel count),
 * {@code downsamplers.0.conv.*} ({@link Downsample2D} with {@code padding=0}: zero pad at the
 * bottom and right, then a stride-2 3×3 convolution).
 */
public final class DownEncoderBlock2D extends Module {
    private final ModuleList<VaeResnetBlock2D> resnets;
    private final ModuleList<Downsample2D> downsamplers;

    /**
     * @param numLayers resnets in the block (the VAE's {@code layers_per_block})
     * @param addDownsample whether the block ends with a downsampler (all blocks but the last)
     */
    public DownEncoderBlock2D(NDManager manager, int inChannels, int outChannels, int numLayers, int groups,
            float eps, Activations activation, boolean addDownsample) {
        this.resnets = registerModule("resnets", new ModuleList<>());
        for (int i = 0; i < numLayers; i++) {
            resnets.add(new VaeResnetBlock2D(manager, i == 0 ? inChannels : outChannels, outChannels, groups, eps,
                    activation));
        }
        // a list of one, hence the key segment `downsamplers.0`
        this.downsamplers = addDownsample ? registerModule("downsamplers", new ModuleList<>()) : null;
        if (addDownsample) {
            downsamplers.add(new Downsample2D(manager, outChannels, true, outChannels, 0)); // downsample_padding=0
        }
    }

    /** Applies the block to {@code hiddenStates} (N, in, H, W). */
    public NDArray forward(NDArray hiddenStates) {
        NDArray h = hiddenStates;
        for (VaeResnetBlock2D resnet : resnets) {
            h = resnet.forward(h);                // (N, out, H, W)
        }
        if (downsamplers != null) {
            h = downsamplers.get(0).forward(h);   // (N, out, H/2, W/2)
        }
        return h;
    }
}
