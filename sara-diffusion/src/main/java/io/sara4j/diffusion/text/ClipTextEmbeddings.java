package io.sara4j.diffusion.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.nn.Embedding;
import io.sara4j.core.nn.Module;

/**
 * transformers {@code CLIPTextEmbeddings}: token embedding plus learned absolute position embedding.
 *
 * <p>Shapes: ids (B, L) int64 with L ≤ max_position_embeddings, output (B, L, D). Keys:
 * {@code token_embedding.weight} (vocab, D), {@code position_embedding.weight} (max_positions, D).
 * Positions are always 0..L−1; older checkpoints also store them as a {@code position_ids} buffer,
 * which {@link ClipTextModel#load} drops.
 */
public final class ClipTextEmbeddings extends Module {
    private final Embedding tokenEmbedding;
    private final Embedding positionEmbedding;

    /** Builds both tables from {@code config}. */
    public ClipTextEmbeddings(NDManager manager, ClipTextConfig config) {
        this.tokenEmbedding = registerModule("token_embedding",
                new Embedding(manager, config.vocabSize(), config.hiddenSize()));
        this.positionEmbedding = registerModule("position_embedding",
                new Embedding(manager, config.maxPositionEmbeddings(), config.hiddenSize()));
    }

    /**
     * Embeds {@code inputIds} (B, L).
     *
     * @return (B, L, D)
     */
    public NDArray forward(NDArray inputIds) {
        long seqLength = inputIds.getShape().get(1);
        int maxPositions = positionEmbedding.numEmbeddings();
        if (seqLength > maxPositions) {
            throw new IllegalArgumentException("sequence length " + seqLength
                    + " exceeds max_position_embeddings=" + maxPositions);
        }
        NDArray positionIds = inputIds.getManager().arange(0, (int) seqLength, 1, DataType.INT64)
                .reshape(1, seqLength);                                      // (1, L)
        NDArray inputsEmbeds = tokenEmbedding.forward(inputIds);             // (B, L, D)
        NDArray positionEmbeds = positionEmbedding.forward(positionIds);     // (1, L, D)
        return inputsEmbeds.add(positionEmbeds);
    }

    /** The token table, (vocab, D). */
    public Embedding tokenEmbedding() {
        return tokenEmbedding;
    }

    /** The position table, (max_positions, D). */
    public Embedding positionEmbedding() {
        return positionEmbedding;
    }
}
