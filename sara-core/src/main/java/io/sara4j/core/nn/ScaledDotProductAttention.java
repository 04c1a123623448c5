package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * softmax(Q·Kᵀ·scale + mask)·V, and the head split/merge reshapes around it.
 *
 * <p>DJL has no fused attention kernel, so this is a matrix product, a softmax and another matrix
 * product; all three are differentiable.
 */
public final class ScaledDotProductAttention {
    /**
     * Largest score matrix computed in one piece (128 MiB of float32); larger ones are split by
     * query rows. The models' own sizes stay whole (the benchmark UNet's largest is 32 MiB).
     */
    static final long CHUNK_SCORE_BYTES = 128L << 20;

    private ScaledDotProductAttention() {}

    /**
     * Attention over the last two axes.
     *
     * @param q (B, H, Lq, D)
     * @param k (B, H, Lk, D)
     * @param v (B, H, Lk, Dv)
     * @param mask additive mask broadcastable to (B, H, Lq, Lk) (0 to keep, a large negative value
     *     or −∞ to drop), or {@code null}
     * @param scale the factor on the scores, normally 1/√D
     * @param upcast compute the scores and softmax in float32 even for half-precision inputs
     *     (diffusers' {@code upcast_attention})
     * @return (B, H, Lq, Dv)
     */
    public static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, float scale, boolean upcast) {
        return attention(q, k, v, mask, scale, upcast, CHUNK_SCORE_BYTES);
    }

    /** {@link #attention} with score matrices of at most {@code chunkScoreBytes} each. */
    static NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask, float scale, boolean upcast,
            long chunkScoreBytes) {
        Shape qs = q.getShape();
        long lq = qs.get(2);
        long scoreBytes = qs.get(0) * qs.get(1) * lq * k.getShape().get(2) * Float.BYTES;
        long chunks = Math.min(lq, (scoreBytes + chunkScoreBytes - 1) / chunkScoreBytes);
        if (chunks <= 1) {
            return whole(q, k, v, mask, scale, upcast);
        }
        // Softmax runs over the keys of each query on its own, so query chunks are exact. Inside a
        // checkpointed block each chunk is checkpointed too: backward then holds one chunk's
        // probabilities and their gradients at a time instead of all of them (1.5 GiB per SD1.5
        // self-attention at 64×64 latents).
        long rows = (lq + chunks - 1) / chunks;
        boolean maskPerQuery = mask != null && mask.getShape().dimension() >= 2
                && mask.getShape().get(mask.getShape().dimension() - 2) == lq;
        NDList parts = new NDList();
        for (long start = 0; start < lq; start += rows) {
            NDIndex range = new NDIndex(":, :, {}:{}", start, Math.min(lq, start + rows));
            NDArray qChunk = q.get(range);
            NDArray maskChunk = maskPerQuery ? mask.get(new NDIndex("..., {}:{}, :", start, Math.min(lq, start + rows))) : mask;
            parts.add(GradientCheckpointing.runNested(in -> whole(in[0], in[1], in[2], maskChunk, scale, upcast),
                    qChunk, k, v));
        }
        return NDArrays.concat(parts, 2);
    }

    private static NDArray whole(NDArray q, NDArray k, NDArray v, NDArray mask, float scale, boolean upcast) {
        DataType type = q.getDataType();
        boolean widen = upcast && type != DataType.FLOAT32 && type != DataType.FLOAT64;
        NDArray qs = widen ? q.toType(DataType.FLOAT32, false) : q;
        NDArray ks = widen ? k.toType(DataType.FLOAT32, false) : k;
        NDArray scores = Scalars.mul(qs, scale).matMul(ks.transpose(0, 1, 3, 2)); // (B, H, Lq, Lk)
        if (mask != null) {
            NDArray unmasked = scores;
            scores = scores.add(mask);
            unmasked.close();
        }
        NDArray probs = scores.softmax(-1);
        // The scores are the largest array of the layer (Lq·Lk per head) and backward does not need
        // them (softmax keeps its output): freed now, not with the step.
        scores.close();
        if (widen) {
            probs = probs.toType(type, false);
        }
        return probs.matMul(v);
    }

    /** (B, L, H·D) → (B, H, L, D). */
    public static NDArray splitHeads(NDArray x, int heads) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), heads, s.get(2) / heads).transpose(0, 2, 1, 3);
    }

    /** (B, H, L, D) → (B, L, H·D). */
    public static NDArray mergeHeads(NDArray x) {
        Shape s = x.getShape();
        return x.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), s.get(1) * s.get(3));
    }
}
