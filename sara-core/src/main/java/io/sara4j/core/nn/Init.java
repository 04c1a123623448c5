package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * PyTorch's default parameter initialisations, so that a freshly built module has the same
 * distribution of weights as its {@code torch.nn} counterpart. Random draws use the engine's
 * generator; seed it with {@code Engine.getEngine("PyTorch").setRandomSeed(seed)}.
 */
public final class Init {
    private Init() {}

    /**
     * {@code kaiming_uniform_(a=sqrt(5))}, PyTorch's default for Linear and Conv weights, which
     * reduces to U(-1/sqrt(fanIn), 1/sqrt(fanIn)); the same bound is used for their biases.
     */
    public static NDArray defaultUniform(NDManager manager, Shape shape, long fanIn) {
        float bound = (float) (1.0 / Math.sqrt(fanIn));
        return manager.randomUniform(-bound, bound, shape, DataType.FLOAT32);
    }

    /** N(0, 1), PyTorch's default for Embedding. */
    public static NDArray standardNormal(NDManager manager, Shape shape) {
        return manager.randomNormal(0f, 1f, shape, DataType.FLOAT32);
    }

    /** All ones (norm scales). */
    public static NDArray ones(NDManager manager, Shape shape) {
        return manager.ones(shape, DataType.FLOAT32);
    }

    /** All zeros (norm shifts). */
    public static NDArray zeros(NDManager manager, Shape shape) {
        return manager.zeros(shape, DataType.FLOAT32);
    }
}
