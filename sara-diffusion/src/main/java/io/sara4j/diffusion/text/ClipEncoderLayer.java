package io.sara4j.diffusion.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.LayerNorm;
import io.sara4j.core.nn.Module;

/**
 * transformers {@code CLIPEncoderLayer}: a pre-norm transformer layer,
 * x + attn(norm1(x)), then x + mlp(norm2(x)).
 *
 * <p>Shapes: (B, L, D) in and out. Keys: {@code self_attn.*} ({@link ClipAttention}),
 * {@code layer_norm1}, {@code mlp.*} ({@link ClipMlp}), {@code layer_norm2}.
 */
public final class ClipEncoderLayer extends Module {
    private final ClipAttention selfAttn;
    private final LayerNorm layerNorm1;
    private final ClipMlp mlp;
    private final LayerNorm layerNorm2;

    /** Builds the layer from {@code config}. */
    public ClipEncoderLayer(NDManager manager, ClipTextConfig config) {
        float eps = (float) config.layerNormEps();
        this.selfAttn = registerModule("self_attn", new ClipAttention(manager, config));
        this.layerNorm1 = registerModule("layer_norm1", new LayerNorm(manager, config.hiddenSize(), eps, true));
        this.mlp = registerModule("mlp", new ClipMlp(manager, config));
        this.layerNorm2 = registerModule("layer_norm2", new LayerNorm(manager, config.hiddenSize(), eps, true));
    }

    /**
     * @param hiddenStates (B, L, D)
     * @param mask additive attention mask broadcastable to (B, heads, L, L), or {@code null}
     * @return (B, L, D)
     */
    public NDArray forward(NDArray hiddenStates, NDArray mask) {
        NDArray residual = hiddenStates;
        NDArray h = layerNorm1.forward(hiddenStates);
        h = selfAttn.forward(h, mask);
        h = residual.add(h);

        residual = h;
        h = layerNorm2.forward(h);
        h = mlp.forward(h);
        return residual.add(h);
    }
}
