package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.GroupNorm;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.ModuleList;

/**
 * diffusers {@code Transformer2DModel} for continuous feature maps: group norm, projection in,
 * the feature map read as a sequence of H·W tokens through {@link BasicTransformerBlock}s,
 * projection out, plus the input as residual. The projections are 1×1 convolutions (SD1) or linear
 * layers on the token sequence (SD2, {@code use_linear_projection}); the two are the same map, so
 * only the key shapes and the place of the reshape differ.
 *
 * <p>Shapes: hidden states (B, C, H, W), context (B, Lc, crossAttentionDim) → (B, C, H, W);
 * inner width heads·headDim (= C in the UNet). Keys: {@code norm}, {@code proj_in},
 * {@code transformer_blocks.N}, {@code proj_out}; conv projections have weights (inner, C, 1, 1),
 * linear ones (inner, C).
 */
public final class Transformer2DModel extends Module {
    private static final float NORM_EPS = 1e-6f;

    private final boolean useLinearProjection;
    private final GroupNorm norm;
    private final Conv2d convProjIn;
    private final Linear linearProjIn;
    private final ModuleList<BasicTransformerBlock> transformerBlocks;
    private final Conv2d convProjOut;
    private final Linear linearProjOut;

    /**
     * @param numLayers number of transformer blocks
     * @param normNumGroups groups of the input group norm
     * @param useLinearProjection linear (true) or 1×1 convolution (false) projections
     */
    public Transformer2DModel(NDManager manager, int heads, int headDim, int inChannels, int numLayers,
            int crossAttentionDim, int normNumGroups, boolean useLinearProjection, boolean onlyCrossAttention,
            boolean upcastAttention) {
        int inner = heads * headDim;
        if (inner != inChannels) {
            // diffusers' own reshapes assume this as well (its linear path fails otherwise).
            throw new IllegalArgumentException("heads·headDim (" + heads + "·" + headDim + " = " + inner
                    + ") must equal inChannels (" + inChannels + ")");
        }
        this.useLinearProjection = useLinearProjection;
        this.norm = registerModule("norm", new GroupNorm(manager, normNumGroups, inChannels, NORM_EPS));
        if (useLinearProjection) {
            this.convProjIn = null;
            this.linearProjIn = registerModule("proj_in", new Linear(manager, inChannels, inner, true));
        } else {
            this.convProjIn = registerModule("proj_in", new Conv2d(manager, inChannels, inner, 1, 1, 0));
            this.linearProjIn = null;
        }
        this.transformerBlocks = registerModule("transformer_blocks", new ModuleList<>());
        for (int i = 0; i < numLayers; i++) {
            transformerBlocks.add(new BasicTransformerBlock(manager, inner, heads, headDim, crossAttentionDim,
                    onlyCrossAttention, upcastAttention));
        }
        if (useLinearProjection) {
            this.convProjOut = null;
            this.linearProjOut = registerModule("proj_out", new Linear(manager, inner, inChannels, true));
        } else {
            this.convProjOut = registerModule("proj_out", new Conv2d(manager, inner, inChannels, 1, 1, 0));
            this.linearProjOut = null;
        }
    }

    /**
     * Applies the transformer to {@code hiddenStates} (B, C, H, W) attending to {@code encoderHiddenStates}
     * (B, Lc, crossDim); with gradient checkpointing on, its activations are recomputed in backward.
     */
    public NDArray forward(NDArray hiddenStates, NDArray encoderHiddenStates) {
        return checkpointed(in -> compute(in[0], in[1]), hiddenStates, encoderHiddenStates);
    }

    private NDArray compute(NDArray hiddenStates, NDArray encoderHiddenStates) {
        Shape shape = hiddenStates.getShape();
        long batch = shape.get(0);
        long height = shape.get(2);
        long width = shape.get(3);
        NDArray residual = hiddenStates;

        NDArray hidden = norm.forward(hiddenStates);
        long inner;
        if (!useLinearProjection) {
            hidden = convProjIn.forward(hidden);                                         // (B, inner, H, W)
            inner = hidden.getShape().get(1);
            hidden = hidden.transpose(0, 2, 3, 1).reshape(batch, height * width, inner); // (B, HW, inner)
        } else {
            inner = hidden.getShape().get(1);
            hidden = hidden.transpose(0, 2, 3, 1).reshape(batch, height * width, inner); // (B, HW, C)
            hidden = linearProjIn.forward(hidden);                                       // (B, HW, inner)
        }

        for (BasicTransformerBlock block : transformerBlocks) {
            hidden = block.forward(hidden, encoderHiddenStates);                         // (B, HW, inner)
        }

        if (!useLinearProjection) {
            hidden = hidden.reshape(batch, height, width, inner).transpose(0, 3, 1, 2);  // (B, inner, H, W)
            hidden = convProjOut.forward(hidden);                                        // (B, C, H, W)
        } else {
            hidden = linearProjOut.forward(hidden);                                      // (B, HW, C)
            hidden = hidden.reshape(batch, height, width, inner).transpose(0, 3, 1, 2);  // (B, C, H, W)
        }
        return hidden.add(residual);
    }
}
