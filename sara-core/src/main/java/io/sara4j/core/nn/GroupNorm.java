package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * {@code torch.nn.GroupNorm}: normalises each group of C/G channels over the group's channels and
 * spatial positions with the biased variance, then applies a per-channel scale and shift.
 *
 * <p>Shapes: input (N, C, *), weight and bias (C). Keys: {@code weight}, {@code bias}.
 */
public final class GroupNorm extends Module {
    private final int numGroups;
    private final float eps;
    private final Parameter weight;
    private final Parameter bias;

    /** A group norm with affine parameters initialised to ones and zeros. */
    public GroupNorm(NDManager manager, int numGroups, int numChannels, float eps) {
        if (numGroups <= 0 || numChannels % numGroups != 0) {
            throw new IllegalArgumentException("num_groups=" + numGroups + " must divide num_channels=" + numChannels);
        }
        this.numGroups = numGroups;
        this.eps = eps;
        this.weight = registerParameter("weight", Init.ones(manager, new Shape(numChannels)));
        this.bias = registerParameter("bias", Init.zeros(manager, new Shape(numChannels)));
    }

    /** Normalises {@code x} of shape (N, C, *). */
    public NDArray forward(NDArray x) {
        return groupNorm(x, numGroups, weight.value(), bias.value(), eps);
    }

    /**
     * The functional form. DJL has no group-norm kernel, so this is written with plain
     * differentiable ops: reshape to (N, G, rest), normalise, reshape back, scale and shift.
     */
    public static NDArray groupNorm(NDArray x, int numGroups, NDArray w, NDArray b, float eps) {
        Shape shape = x.getShape();
        long n = shape.get(0);
        long c = shape.get(1);
        NDArray grouped = x.reshape(n, numGroups, -1); // (N, G, C/G * spatial)
        NDArray mean = grouped.mean(new int[] {2}, true);
        NDArray centered = grouped.sub(mean);
        NDArray var = centered.square().mean(new int[] {2}, true); // biased, as PyTorch
        NDArray normalized = centered.div(var.add(eps).sqrt()).reshape(shape);
        long[] affineShape = new long[shape.dimension()];
        java.util.Arrays.fill(affineShape, 1);
        affineShape[1] = c; // (1, C, 1, ...)
        if (w != null) {
            normalized = normalized.mul(inManagerOf(x, w.reshape(affineShape)));
        }
        if (b != null) {
            normalized = normalized.add(inManagerOf(x, b.reshape(affineShape)));
        }
        return normalized;
    }

    /**
     * A reshape of a weight lands in the weight's (the model's) manager, which outlives every step;
     * moving the view to the input's manager frees it with the step's other temporaries.
     */
    private static NDArray inManagerOf(NDArray x, NDArray view) {
        view.attach(x.getManager());
        return view;
    }

    /** The scale parameter, shape (C). */
    public Parameter weight() {
        return weight;
    }

    /** The shift parameter, shape (C). */
    public Parameter bias() {
        return bias;
    }
}
