package io.sara4j.diffusion.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.ModuleList;

/**
 * diffusers {@code UNetMidBlock2D} as the VAE encoder and decoder build it: resnet → attention →
 * resnet at the lowest resolution, without time embedding ({@code num_layers} 1).
 *
 * <p>Shapes: (N, C, H, W) in and out. Keys: {@code attentions.0.*} ({@link VaeAttention}, absent
 * without attention), {@code resnets.0.*}, {@code resnets.1.*} ({@link VaeResnetBlock2D}),
 * registered in diffusers' order (attentions first).
 */
public final class UNetMidBlock2D extends Module {
    private final ModuleList<VaeAttention> attentions;
    private final ModuleList<VaeResnetBlock2D> resnets;

    /**
     * @param channels C, kept throughout
     * @param groups group count of every norm (the VAE's {@code norm_num_groups})
     * @param eps epsilon of every norm (1e-6 in the VAE)
     * @param addAttention whether the attention between the resnets exists ({@code mid_block_add_attention})
     */
    public UNetMidBlock2D(NDManager manager, int channels, int groups, float eps, Activations activation,
            boolean addAttention) {
        this.attentions = registerModule("attentions", new ModuleList<>());
        this.resnets = registerModule("resnets", new ModuleList<>());
        resnets.add(new VaeResnetBlock2D(manager, channels, channels, groups, eps, activation));
        if (addAttention) {
            // attention_head_dim = C gives a single head of width C
            attentions.add(new VaeAttention(manager, channels, 1, groups, eps));
        }
        resnets.add(new VaeResnetBlock2D(manager, channels, channels, groups, eps, activation));
    }

    /** Applies the block to {@code hiddenStates} (N, C, H, W). */
    public NDArray forward(NDArray hiddenStates) {
        NDArray h = resnets.get(0).forward(hiddenStates);
        if (!attentions.isEmpty()) {
            h = attentions.get(0).forward(h);
        }
        return resnets.get(1).forward(h);
    }
}
