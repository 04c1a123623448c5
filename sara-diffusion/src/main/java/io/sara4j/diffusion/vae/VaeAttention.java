package io.sara4j.diffusion.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Dropout;
import io.sara4j.core.nn.GroupNorm;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.ModuleList;
import io.sara4j.core.nn.ScaledDotProductAttention;

/**
 * diffusers {@code Attention} as {@code UNetMidBlock2D} builds it for the VAE: spatial self-attention
 * over the H·W positions of a feature map, with its own group norm, biased projections and a
 * residual connection ({@code norm_num_groups} set, {@code residual_connection=True},
 * {@code bias=True}, {@code upcast_softmax=True}, {@code rescale_output_factor} 1).
 *
 * <p>out = x + to_out(attention(to_q(n), to_k(n), to_v(n))) with n = group_norm(x) seen as (N, H·W, C).
 *
 * <p>Shapes: (N, C, H, W) in and out; heads·dimHead = C (the VAE uses one head of width C). Keys:
 * {@code group_norm} (C), {@code to_q}, {@code to_k}, {@code to_v}, {@code to_out.0} (each
 * {@code weight} (C, C) and {@code bias} (C)). Checkpoints written before diffusers 0.14 name the
 * projections {@code query}, {@code key}, {@code value}, {@code proj_attn}; {@link AutoencoderKL#load}
 * rejects those names.
 */
public final class VaeAttention extends Module {
    private final int heads;
    private final float scale;
    private final GroupNorm groupNorm;
    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final ModuleList<Module> toOut;

    /**
     * @param channels C, the width of the feature map and of every projection
     * @param heads number of heads; must divide C (1 in every VAE: {@code attention_head_dim} = C)
     * @param groups group count of {@code group_norm} (the VAE's {@code norm_num_groups})
     * @param eps epsilon of {@code group_norm} (1e-6 in the VAE)
     */
    public VaeAttention(NDManager manager, int channels, int heads, int groups, float eps) {
        if (heads <= 0 || channels % heads != 0) {
            throw new IllegalArgumentException("heads=" + heads + " must divide channels=" + channels);
        }
        this.heads = heads;
        this.scale = (float) (1.0 / Math.sqrt((double) channels / heads));
        this.groupNorm = registerModule("group_norm", new GroupNorm(manager, groups, channels, eps));
        this.toQ = registerModule("to_q", new Linear(manager, channels, channels, true));
        this.toK = registerModule("to_k", new Linear(manager, channels, channels, true));
        this.toV = registerModule("to_v", new Linear(manager, channels, channels, true));
        this.toOut = registerModule("to_out", new ModuleList<>());
        toOut.add(new Linear(manager, channels, channels, true));
        toOut.add(new Dropout(0f)); // `to_out.1`, parameterless: keeps the index of `to_out.0`
    }

    /** Applies attention plus residual to {@code hiddenStates} (N, C, H, W). */
    public NDArray forward(NDArray hiddenStates) {
        NDArray residual = hiddenStates;
        Shape s = hiddenStates.getShape();
        long n = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        NDArray x = hiddenStates.reshape(n, c, h * w);                                         // (N, C, HW)
        x = groupNorm.forward(x).transpose(0, 2, 1);                                          // (N, HW, C)
        NDArray q = ScaledDotProductAttention.splitHeads(toQ.forward(x), heads);             // (N, heads, HW, C/heads)
        NDArray k = ScaledDotProductAttention.splitHeads(toK.forward(x), heads);             // (N, heads, HW, C/heads)
        NDArray v = ScaledDotProductAttention.splitHeads(toV.forward(x), heads);             // (N, heads, HW, C/heads)
        NDArray attended = ScaledDotProductAttention.attention(q, k, v, null, scale, true);  // (N, heads, HW, C/heads)
        x = ScaledDotProductAttention.mergeHeads(attended);                                  // (N, HW, C)
        x = ((Linear) toOut.get(0)).forward(x);
        x = ((Dropout) toOut.get(1)).forward(x);
        x = x.transpose(0, 2, 1).reshape(n, c, h, w);                                        // (N, C, H, W)
        return x.add(residual); // rescale_output_factor is 1 in the VAE: no division
    }

    /** Number of heads. */
    public int heads() {
        return heads;
    }
}
