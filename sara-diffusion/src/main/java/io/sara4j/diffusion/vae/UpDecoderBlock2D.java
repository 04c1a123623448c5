package io.sara4j.diffusion.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.ModuleList;
import io.sara4j.diffusion.unet.Upsample2D;

/**
 * diffusers {@code UpDecoderBlock2D}: {@code num_layers} resnets, then (except in the last block)
 * a 2× upsampler.
 *
 * <p>Shapes: (N, in, H, W) → (N, out, 2H, 2W), or (N, out, H, W) without upsampler. Keys:
 * {@code resnets.i.*} ({@link VaeResnetBlock2D}; only {@code resnets.0} changes the channel count),
 * {@code upsamplers.0.conv.*} ({@link Upsample2D}: nearest 2×, then a 3×3 convolution).
 */
public final class UpDecoderBlock2D extends Module {
    private final ModuleList<VaeResnetBlock2D> resnets;
    private final ModuleList<Upsample2D> upsamplers;

    /**
     * @param numLayers resnets in the block (the VAE's {@code layers_per_block} + 1)
     * @param addUpsample whether the block ends with an upsampler (all blocks but the last)
     */
    public UpDecoderBlock2D(NDManager manager, int inChannels, int outChannels, int numLayers, int groups,
            float eps, Activations activation, boolean addUpsample) {
        this.resnets = registerModule("resnets", new ModuleList<>());
        for (int i = 0; i < numLayers; i++) {
            resnets.add(new VaeResnetBlock2D(manager, i == 0 ? inChannels : outChannels, outChannels, groups, eps,
                    activation));
        }
        // a list of one, hence the key segment `upsamplers.0`
        this.upsamplers = addUpsample ? registerModule("upsamplers", new ModuleList<>()) : null;
        if (addUpsample) {
            upsamplers.add(new Upsample2D(manager, outChannels, true, outChannels));
        }
    }

    /** Applies the block to {@code hiddenStates} (N, in, H, W). */
    public NDArray forward(NDArray hiddenStates) {
        NDArray h = hiddenStates;
        for (VaeResnetBlock2D resnet : resnets) {
            h = resnet.forward(h);              // (N, out, H, W)
        }
        if (upsamplers != null) {
            h = upsamplers.get(0).forward(h);   // (N, out, 2H, 2W)
        }
        return h;
    }
}
