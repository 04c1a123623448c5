package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic with a constant that is safe under autograd. Use these instead of
 * {@code NDArray.mul(Number)}, {@code div(Number)} and {@code pow(Number)} in anything that can run
 * under a gradient collector.
 *
 * <p>Why: DJL's PyTorch engine turns the number into a tensor over a Java direct buffer
 * ({@code torch::from_blob}), applies the op and closes that tensor at once. For a product,
 * quotient or power PyTorch keeps the constant for the backward pass, which then reads a buffer
 * that the garbage collector may already have freed: a test that runs a GC between forward and
 * backward got a wrong gradient for {@code x.mul(3f)} in most iterations. Here the constant is a 0-d
 * tensor the engine allocates itself, so the reference autograd keeps is a real one. Addition and
 * subtraction of a number are safe as they are (their backward does not use the constant).
 */
public final class Scalars {
    private Scalars() {}

    /** A 0-d tensor holding {@code value} in {@code like}'s type and manager, owned by the engine. */
    public static NDArray of(NDArray like, double value) {
        if (like.getDataType() == DataType.FLOAT64) {
            return HostArrays.of(like.getManager(), new double[] {value}, new Shape()); // exact
        }
        return like.getManager().full(new Shape(), (float) value, like.getDataType());
    }

    /** x · value. */
    public static NDArray mul(NDArray x, double value) {
        return x.mul(of(x, value));
    }

    /** x / value. */
    public static NDArray div(NDArray x, double value) {
        return x.div(of(x, value));
    }

    /** x ^ value. */
    public static NDArray pow(NDArray x, double value) {
        return x.pow(of(x, value));
    }
}
