package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * {@code torch.nn.LayerNorm} over the last axis, with biased variance.
 *
 * <p>Shapes: input (..., D), weight and bias (D). Keys: {@code weight}, {@code bias}
 * (absent when {@code elementwiseAffine} is false).
 */
public final class LayerNorm extends Module {
    private final float eps;
    private final Parameter weight;
    private final Parameter bias;

    /** A layer norm over the last axis of width {@code dim}. */
    public LayerNorm(NDManager manager, int dim, float eps, boolean elementwiseAffine) {
        this.eps = eps;
        this.weight = elementwiseAffine ? registerParameter("weight", Init.ones(manager, new Shape(dim))) : null;
        this.bias = elementwiseAffine ? registerParameter("bias", Init.zeros(manager, new Shape(dim))) : null;
    }

    /** Normalises {@code x} of shape (..., D). */
    public NDArray forward(NDArray x) {
        return layerNorm(x, weight == null ? null : weight.value(), bias == null ? null : bias.value(), eps);
    }

    /** The functional form over the last axis; {@code w} and {@code b} may be {@code null}. */
    public static NDArray layerNorm(NDArray x, NDArray w, NDArray b, float eps) {
        NDArray mean = x.mean(new int[] {-1}, true);
        NDArray centered = x.sub(mean);
        NDArray var = centered.square().mean(new int[] {-1}, true);
        NDArray out = centered.div(var.add(eps).sqrt());
        if (w != null) {
            out = out.mul(w);
        }
        if (b != null) {
            out = out.add(b);
        }
        return out;
    }

    /** The scale parameter, or {@code null} without affine parameters. */
    public Parameter weight() {
        return weight;
    }

    /** The shift parameter, or {@code null} without affine parameters. */
    public Parameter bias() {
        return bias;
    }
}
