package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Multi-head attention with diffusers' {@code Attention} key names: self-attention when no context
 * is given, cross-attention to {@code encoderHiddenStates} otherwise.
 *
 * <p>Shapes: hidden states (B, L, queryDim), context (B, Lk, crossAttentionDim), output
 * (B, L, queryDim); inner width heads·dimHead. Keys: {@code to_q}, {@code to_k}, {@code to_v},
 * {@code to_out.0} (the output projection; {@code to_out.1} is a parameterless dropout, kept so
 * indices match).
 */
public final class Attention extends Module {
    private final int heads;
    private final float scale;
    private final boolean upcastAttention;
    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final ModuleList<Module> toOut;

    /**
     * @param crossAttentionDim width of the context; {@code queryDim} for self-attention
     * @param qkvBias whether the q/k/v projections have a bias (Stable Diffusion: no)
     */
    public Attention(NDManager manager, int queryDim, int crossAttentionDim, int heads, int dimHead,
            float dropout, boolean qkvBias, boolean upcastAttention) {
        int inner = heads * dimHead;
        this.heads = heads;
        this.scale = (float) (1.0 / Math.sqrt(dimHead));
        this.upcastAttention = upcastAttention;
        this.toQ = registerModule("to_q", new Linear(manager, queryDim, inner, qkvBias));
        this.toK = registerModule("to_k", new Linear(manager, crossAttentionDim, inner, qkvBias));
        this.toV = registerModule("to_v", new Linear(manager, crossAttentionDim, inner, qkvBias));
        this.toOut = registerModule("to_out", new ModuleList<>());
        toOut.add(new Linear(manager, inner, queryDim, true));
        toOut.add(new Dropout(dropout));
    }

    /**
     * @param encoderHiddenStates the context (B, Lk, crossAttentionDim), or {@code null} for self-attention
     * @param mask additive mask broadcastable to (B, heads, L, Lk), or {@code null}
     */
    public NDArray forward(NDArray hiddenStates, NDArray encoderHiddenStates, NDArray mask) {
        NDArray context = encoderHiddenStates == null ? hiddenStates : encoderHiddenStates;
        NDArray q = ScaledDotProductAttention.splitHeads(toQ.forward(hiddenStates), heads); // (B, H, L, D)
        NDArray k = ScaledDotProductAttention.splitHeads(toK.forward(context), heads);      // (B, H, Lk, D)
        NDArray v = ScaledDotProductAttention.splitHeads(toV.forward(context), heads);      // (B, H, Lk, D)
        NDArray attended = ScaledDotProductAttention.attention(q, k, v, mask, scale, upcastAttention);
        NDArray merged = ScaledDotProductAttention.mergeHeads(attended);                     // (B, L, H·D)
        NDArray projected = ((Linear) toOut.get(0)).forward(merged);
        return ((Dropout) toOut.get(1)).forward(projected);
    }

    /** Number of heads. */
    public int heads() {
        return heads;
    }
}
