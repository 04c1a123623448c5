package io.sara4j.diffusion.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.HostArrays;
import io.sara4j.core.nn.LayerNorm;
import io.sara4j.core.nn.Module;
import java.util.Arrays;
import java.util.List;

/**
 * transformers {@code CLIPTextTransformer}: embeddings → causal encoder → {@code final_layer_norm},
 * and the pooled end-of-text vector.
 *
 * <p>Shapes: ids (B, L) int64, L ≤ max_position_embeddings; hidden states (B, L, D); pooled (B, D).
 * Keys: {@code embeddings.*}, {@code encoder.layers.N.*}, {@code final_layer_norm.{weight,bias}} (D).
 *
 * <p>The pooled position of each row: with the legacy {@code eos_token_id} 2 (every Stable Diffusion
 * text encoder) the first position of the row's highest id, which is the end-of-text token because
 * it has the highest id of the CLIP vocabulary; otherwise the first position holding
 * {@code eos_token_id} (position 0 if there is none, as {@code argmax} of an all-false row gives).
 *
 * <p>Attention is causal only: transformers' optional padding {@code attention_mask} is not taken,
 * as Stable Diffusion pipelines never pass one for these text encoders.
 */
public final class ClipTextTransformer extends Module {
    private final ClipTextConfig config;
    private final ClipTextEmbeddings embeddings;
    private final ClipEncoder encoder;
    private final LayerNorm finalLayerNorm;

    /** Builds the transformer from {@code config}. */
    public ClipTextTransformer(NDManager manager, ClipTextConfig config) {
        this.config = config;
        this.embeddings = registerModule("embeddings", new ClipTextEmbeddings(manager, config));
        this.encoder = registerModule("encoder", new ClipEncoder(manager, config));
        this.finalLayerNorm = registerModule("final_layer_norm",
                new LayerNorm(manager, config.hiddenSize(), (float) config.layerNormEps(), true));
    }

    /**
     * Encodes {@code inputIds} (B, L) int64.
     *
     * @return last hidden state (B, L, D), pooled output (B, D), every hidden state and the
     *     normalised penultimate state
     */
    public ClipTextOutput forward(NDArray inputIds) {
        Shape idsShape = inputIds.getShape();
        if (idsShape.dimension() != 2) {
            throw new IllegalArgumentException("input_ids must have shape (B, L), found " + idsShape);
        }
        NDArray hiddenStates = embeddings.forward(inputIds);                             // (B, L, D)
        NDArray causalMask = causalMask(inputIds.getManager(), (int) idsShape.get(1), hiddenStates.getDataType());
        List<NDArray> states = encoder.forward(hiddenStates, causalMask);                // L+1 × (B, L, D)
        NDArray lastHiddenState = finalLayerNorm.forward(states.get(states.size() - 1)); // (B, L, D)
        NDArray pooledOutput = gatherRows(lastHiddenState, pooledPositions(inputIds));   // (B, D)
        NDArray penultimate = finalLayerNorm.forward(states.get(states.size() - 2));     // (B, L, D)
        return new ClipTextOutput(lastHiddenState, pooledOutput, states, penultimate);
    }

    /**
     * The additive causal mask (1, 1, L, L): 0 where key ≤ query, the lowest finite float32 value
     * above the diagonal (transformers fills with {@code finfo(dtype).min}), in {@code type}.
     */
    static NDArray causalMask(NDManager manager, int length, DataType type) {
        float[] mask = new float[length * length];
        for (int q = 0; q < length; q++) {
            Arrays.fill(mask, q * length + q + 1, (q + 1) * length, -Float.MAX_VALUE);
        }
        return HostArrays.of(manager, mask, new Shape(1, 1, length, length)).toType(type, false);
    }

    /** Each row's pooled position, by the rule in the class comment. */
    long[] pooledPositions(NDArray inputIds) {
        int batch = (int) inputIds.getShape().get(0);
        int length = (int) inputIds.getShape().get(1);
        long[] ids = inputIds.toType(DataType.INT64, false).toLongArray();
        long[] positions = new long[batch];
        for (int b = 0; b < batch; b++) {
            int best = 0;
            for (int i = 0; i < length; i++) {
                long id = ids[b * length + i];
                if (config.legacyPooling() ? id > ids[b * length + best] : id == config.eosTokenId()) {
                    best = i;
                    if (!config.legacyPooling()) {
                        break;
                    }
                }
            }
            positions[b] = best;
        }
        return positions;
    }

    /** Row b of the result is {@code x[b, positions[b], :]}; x (B, L, D) → (B, D). */
    private static NDArray gatherRows(NDArray x, long[] positions) {
        Shape s = x.getShape();
        long length = s.get(1);
        long[] flat = new long[positions.length];
        for (int b = 0; b < positions.length; b++) {
            flat[b] = b * length + positions[b];
        }
        NDArray index = HostArrays.of(x.getManager(), flat);
        return x.reshape(s.get(0) * length, s.get(2)).get(new NDIndex("{}", index)); // (B, D)
    }

    /** Applies {@code final_layer_norm} to any hidden state (B, L, D), as diffusers' {@code clip_skip} does. */
    public NDArray applyFinalLayerNorm(NDArray hiddenState) {
        return finalLayerNorm.forward(hiddenState);
    }

    /** The configuration this transformer was built from. */
    public ClipTextConfig config() {
        return config;
    }

    /** The embeddings. */
    public ClipTextEmbeddings embeddings() {
        return embeddings;
    }

    /** The encoder layers. */
    public ClipEncoder encoder() {
        return encoder;
    }
}
