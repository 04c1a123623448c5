package io.sara4j.diffusion.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.ScaledDotProductAttention;

/**
 * transformers {@code CLIPAttention}: multi-head self-attention with biased projections.
 *
 * <p>Shapes: hidden states (B, L, D), mask additive and broadcastable to (B, heads, L, L), output
 * (B, L, D); head width D/heads, scores scaled by (D/heads)^−½. Attention dropout is 0 in every
 * Stable Diffusion text encoder and {@link ClipTextConfig} accepts no other value. Keys: {@code k_proj}, {@code v_proj},
 * {@code q_proj}, {@code out_proj} (each {@code weight} (D, D) and {@code bias} (D)), registered in
 * transformers' order.
 */
public final class ClipAttention extends Module {
    private final int heads;
    private final float scale;
    private final Linear kProj;
    private final Linear vProj;
    private final Linear qProj;
    private final Linear outProj;

    /** Builds the four D×D projections from {@code config}. */
    public ClipAttention(NDManager manager, ClipTextConfig config) {
        int dim = config.hiddenSize();
        this.heads = config.numAttentionHeads();
        this.scale = (float) Math.pow(config.headDim(), -0.5);
        this.kProj = registerModule("k_proj", new Linear(manager, dim, dim, true));
        this.vProj = registerModule("v_proj", new Linear(manager, dim, dim, true));
        this.qProj = registerModule("q_proj", new Linear(manager, dim, dim, true));
        this.outProj = registerModule("out_proj", new Linear(manager, dim, dim, true));
    }

    /**
     * Self-attention over {@code hiddenStates} (B, L, D) with the additive {@code mask}.
     *
     * @param mask (1, 1, L, L) or broadcastable to (B, heads, L, L), or {@code null}
     * @return (B, L, D)
     */
    public NDArray forward(NDArray hiddenStates, NDArray mask) {
        NDArray q = ScaledDotProductAttention.splitHeads(qProj.forward(hiddenStates), heads); // (B, H, L, D/H)
        NDArray k = ScaledDotProductAttention.splitHeads(kProj.forward(hiddenStates), heads); // (B, H, L, D/H)
        NDArray v = ScaledDotProductAttention.splitHeads(vProj.forward(hiddenStates), heads); // (B, H, L, D/H)
        NDArray attended = ScaledDotProductAttention.attention(q, k, v, mask, scale, false); // (B, H, L, D/H)
        NDArray merged = ScaledDotProductAttention.mergeHeads(attended);                     // (B, L, D)
        return outProj.forward(merged);
    }

    /** Number of heads. */
    public int heads() {
        return heads;
    }
}
