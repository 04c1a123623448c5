package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.Dropout;
import io.sara4j.core.nn.GroupNorm;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Scalars;

/**
 * diffusers {@code ResnetBlock2D} with the default ("add") time conditioning: two group-norm →
 * activation → 3×3 convolution stages, the projected time embedding added between them, and a
 * residual connection (through a 1×1 convolution when the channel count changes), divided by
 * {@code outputScaleFactor}.
 *
 * <p>Shapes: input (B, in, H, W), temb (B, tembChannels) → output (B, out, H, W).
 * Keys: {@code norm1}, {@code conv1}, {@code time_emb_proj}, {@code norm2}, {@code conv2}, and
 * {@code conv_shortcut} when in ≠ out.
 */
public final class ResnetBlock2D extends Module {
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear timeEmbProj;
    private final GroupNorm norm2;
    private final Dropout dropout;
    private final Conv2d conv2;
    private final Conv2d convShortcut;
    private final Activations nonlinearity;
    private final float outputScaleFactor;

    /**
     * @param groups groups of both group norms
     * @param eps epsilon of both group norms
     * @param outputScaleFactor the residual sum is divided by this
     */
    public ResnetBlock2D(NDManager manager, int inChannels, int outChannels, int tembChannels, int groups,
            float eps, float dropout, Activations nonlinearity, float outputScaleFactor) {
        this.norm1 = registerModule("norm1", new GroupNorm(manager, groups, inChannels, eps));
        this.conv1 = registerModule("conv1", new Conv2d(manager, inChannels, outChannels, 3, 1, 1));
        this.timeEmbProj = registerModule("time_emb_proj", new Linear(manager, tembChannels, outChannels, true));
        this.norm2 = registerModule("norm2", new GroupNorm(manager, groups, outChannels, eps));
        this.dropout = registerModule("dropout", new Dropout(dropout));
        this.conv2 = registerModule("conv2", new Conv2d(manager, outChannels, outChannels, 3, 1, 1));
        this.convShortcut = inChannels == outChannels ? null
                : registerModule("conv_shortcut", new Conv2d(manager, inChannels, outChannels, 1, 1, 0));
        this.nonlinearity = nonlinearity;
        this.outputScaleFactor = outputScaleFactor;
    }

    /**
     * Applies the block to {@code inputTensor} (B, in, H, W) conditioned on {@code temb} (B, tembChannels);
     * with gradient checkpointing on, its activations are recomputed in backward.
     */
    public NDArray forward(NDArray inputTensor, NDArray temb) {
        return checkpointed(in -> compute(in[0], in[1]), inputTensor, temb);
    }

    private NDArray compute(NDArray inputTensor, NDArray temb) {
        NDArray hidden = norm1.forward(inputTensor);
        hidden = nonlinearity.apply(hidden);
        hidden = conv1.forward(hidden);                        // (B, out, H, W)

        NDArray t = nonlinearity.apply(temb);
        t = timeEmbProj.forward(t);                            // (B, out)
        t = t.expandDims(2).expandDims(3);                     // (B, out, 1, 1)
        hidden = hidden.add(t);
        hidden = norm2.forward(hidden);

        hidden = nonlinearity.apply(hidden);
        hidden = dropout.forward(hidden);
        hidden = conv2.forward(hidden);                        // (B, out, H, W)

        NDArray shortcut = convShortcut == null ? inputTensor : convShortcut.forward(inputTensor);
        NDArray output = shortcut.add(hidden);
        return outputScaleFactor == 1f ? output : Scalars.div(output, outputScaleFactor);
    }
}
