package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;

/**
 * {@code torch.nn.Embedding}: a lookup table of row vectors.
 *
 * <p>Shapes: ids (...) integer, weight (num, dim), output (..., dim). Key: {@code weight}.
 */
public final class Embedding extends Module {
    private final int numEmbeddings;
    private final Parameter weight;

    /** A table of {@code numEmbeddings} rows of width {@code dim}, initialised N(0, 1). */
    public Embedding(NDManager manager, int numEmbeddings, int dim) {
        this.numEmbeddings = numEmbeddings;
        this.weight = registerParameter("weight", Init.standardNormal(manager, new Shape(numEmbeddings, dim)));
    }

    /** Looks up {@code ids} (integer array of any shape). */
    public NDArray forward(NDArray ids) {
        return embedding(ids, weight.value());
    }

    /**
     * The functional form: rows of {@code w} selected by {@code ids}; the gradient reaches the
     * selected rows of {@code w} (dense, summed over repeated ids). The result belongs to
     * {@code ids}' manager.
     */
    public static NDArray embedding(NDArray ids, NDArray w) {
        // DJL's PyTorch engine dereferences the format: null is not "default" but an NPE
        return ai.djl.nn.core.Embedding.embedding(ids, w, SparseFormat.DENSE).singletonOrThrow();
    }

    /** Number of rows. */
    public int numEmbeddings() {
        return numEmbeddings;
    }

    /** The table, shape (num, dim). */
    public Parameter weight() {
        return weight;
    }
}
