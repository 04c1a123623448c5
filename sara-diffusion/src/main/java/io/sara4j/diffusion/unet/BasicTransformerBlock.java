package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Attention;
import io.sara4j.core.nn.LayerNorm;
import io.sara4j.core.nn.Module;

/**
 * diffusers {@code BasicTransformerBlock} with layer norms, as Stable Diffusion uses it: pre-norm
 * self-attention, pre-norm cross-attention to the text, pre-norm GEGLU feed-forward, each added to
 * the residual stream. With {@code onlyCrossAttention} the first attention also attends to the text.
 *
 * <p>Shapes: hidden states (B, L, dim), context (B, Lc, crossAttentionDim) → (B, L, dim); the
 * attentions use {@code heads} heads of width {@code headDim} (heads·headDim = dim in the UNet).
 * Keys: {@code norm1}, {@code attn1}, {@code norm2}, {@code attn2}, {@code norm3}, {@code ff}.
 */
public final class BasicTransformerBlock extends Module {
    private static final float NORM_EPS = 1e-5f;

    private final boolean onlyCrossAttention;
    private final LayerNorm norm1;
    private final Attention attn1;
    private final LayerNorm norm2;
    private final Attention attn2;
    private final LayerNorm norm3;
    private final FeedForward ff;

    /**
     * @param onlyCrossAttention whether {@code attn1} attends to the context instead of the hidden states
     * @param upcastAttention whether attention scores are computed in float32 for half-precision inputs
     */
    public BasicTransformerBlock(NDManager manager, int dim, int heads, int headDim, int crossAttentionDim,
            boolean onlyCrossAttention, boolean upcastAttention) {
        this.onlyCrossAttention = onlyCrossAttention;
        this.norm1 = registerModule("norm1", new LayerNorm(manager, dim, NORM_EPS, true));
        this.attn1 = registerModule("attn1", new Attention(manager, dim, onlyCrossAttention ? crossAttentionDim : dim,
                heads, headDim, 0f, false, upcastAttention));
        this.norm2 = registerModule("norm2", new LayerNorm(manager, dim, NORM_EPS, true));
        this.attn2 = registerModule("attn2", new Attention(manager, dim, crossAttentionDim,
                heads, headDim, 0f, false, upcastAttention));
        this.norm3 = registerModule("norm3", new LayerNorm(manager, dim, NORM_EPS, true));
        this.ff = registerModule("ff", new FeedForward(manager, dim, 4, 0f));
    }

    /** Applies the block to {@code hiddenStates} (B, L, dim) with text context {@code encoderHiddenStates} (B, Lc, crossDim). */
    public NDArray forward(NDArray hiddenStates, NDArray encoderHiddenStates) {
        NDArray normed = norm1.forward(hiddenStates);
        NDArray attnOutput = attn1.forward(normed, onlyCrossAttention ? encoderHiddenStates : null, null); // (B, L, dim)
        hiddenStates = attnOutput.add(hiddenStates);

        normed = norm2.forward(hiddenStates);
        attnOutput = attn2.forward(normed, encoderHiddenStates, null);                                      // (B, L, dim)
        hiddenStates = attnOutput.add(hiddenStates);

        normed = norm3.forward(hiddenStates);
        NDArray ffOutput = ff.forward(normed);                                                              // (B, L, dim)
        return ffOutput.add(hiddenStates);
    }
}
