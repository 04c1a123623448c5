package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * {@code torch.nn.Linear}: y = x·Wᵀ + b.
 *
 * <p>Shapes: input (..., in), weight (out, in), bias (out), output (..., out).
 * Keys: {@code weight}, {@code bias}.
 */
public final class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;
    private final Parameter weight;
    private final Parameter bias;

    /** A layer with PyTorch's default initialisation; {@code bias} false leaves the bias out. */
    public Linear(NDManager manager, int inFeatures, int outFeatures, boolean bias) {
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.weight = registerParameter("weight", Init.defaultUniform(manager, new Shape(outFeatures, inFeatures), inFeatures));
        this.bias = bias ? registerParameter("bias", Init.defaultUniform(manager, new Shape(outFeatures), inFeatures)) : null;
    }

    /**
     * Applies the layer to {@code x} of shape (..., in): {@code linear(x, weight.value(), b)}, or, when
     * the weight's adaptation is a {@link LinearAdaptation}, that adaptation's own linear map.
     */
    public NDArray forward(NDArray x) {
        NDArray b = bias == null ? null : bias.value();
        if (weight.adaptation() instanceof LinearAdaptation adapted) {
            return adapted.linear(x, weight.data(), b, isTraining());
        }
        return linear(x, weight.value(), b);
    }

    /**
     * The functional form: x·wᵀ + b over the last axis. The result belongs to {@code x}'s manager.
     *
     * @param b the bias, or {@code null}
     */
    public static NDArray linear(NDArray x, NDArray w, NDArray b) {
        return b == null
                ? ai.djl.nn.core.Linear.linear(x, w).singletonOrThrow()
                : ai.djl.nn.core.Linear.linear(x, w, b).singletonOrThrow();
    }

    /** The weight parameter, shape (out, in). */
    public Parameter weight() {
        return weight;
    }

    /** The bias parameter, or {@code null} when the layer has none. */
    public Parameter bias() {
        return bias;
    }

    /** Input width. */
    public int inFeatures() {
        return inFeatures;
    }

    /** Output width. */
    public int outFeatures() {
        return outFeatures;
    }
}
