package io.sara4j.diffusion.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.GroupNorm;
import io.sara4j.core.nn.Module;

/**
 * diffusers {@code ResnetBlock2D} as the VAE builds it: no time embedding ({@code temb_channels=None}),
 * {@code time_embedding_norm="default"}, dropout 0, {@code output_scale_factor} 1, no resampling.
 *
 * <p>out = shortcut(x) + conv2(act(norm2(conv1(act(norm1(x)))))), where the shortcut is a 1×1
 * convolution when the channel count changes and the identity otherwise.
 *
 * <p>Shapes: (N, in, H, W) → (N, out, H, W). Keys: {@code norm1} (in), {@code conv1} (out, in, 3, 3),
 * {@code norm2} (out), {@code conv2} (out, out, 3, 3), {@code conv_shortcut} (out, in, 1, 1) only
 * when in ≠ out.
 */
public final class VaeResnetBlock2D extends Module {
    private final Activations nonlinearity;
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d convShortcut;

    /**
     * @param groups group count of both norms (the VAE's {@code norm_num_groups})
     * @param eps epsilon of both norms (1e-6 in the VAE)
     * @param nonlinearity the VAE's {@code act_fn}
     */
    public VaeResnetBlock2D(NDManager manager, int inChannels, int outChannels, int groups, float eps,
            Activations nonlinearity) {
        this.nonlinearity = nonlinearity;
        this.norm1 = registerModule("norm1", new GroupNorm(manager, groups, inChannels, eps));
        this.conv1 = registerModule("conv1", new Conv2d(manager, inChannels, outChannels, 3, 1, 1));
        this.norm2 = registerModule("norm2", new GroupNorm(manager, groups, outChannels, eps));
        this.conv2 = registerModule("conv2", new Conv2d(manager, outChannels, outChannels, 3, 1, 1));
        this.convShortcut = inChannels == outChannels ? null
                : registerModule("conv_shortcut", new Conv2d(manager, inChannels, outChannels, 1, 1, 0));
    }

    /** Applies the block to {@code inputTensor} (N, in, H, W); returns (N, out, H, W). */
    public NDArray forward(NDArray inputTensor) {
        NDArray h = norm1.forward(inputTensor);
        h = nonlinearity.apply(h);
        h = conv1.forward(h);            // (N, out, H, W)
        h = norm2.forward(h);
        h = nonlinearity.apply(h);
        h = conv2.forward(h);            // (N, out, H, W)
        NDArray shortcut = convShortcut == null ? inputTensor : convShortcut.forward(inputTensor);
        return shortcut.add(h);
    }
}
