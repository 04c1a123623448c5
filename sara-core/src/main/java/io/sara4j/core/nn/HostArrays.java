package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Arrays made from Java data, copied into memory the engine owns. Use these instead of
 * {@code NDManager.create(float[])} and its siblings everywhere.
 *
 * <p>Why: DJL's PyTorch engine builds an array from Java data by wrapping a direct
 * {@code ByteBuffer} in a tensor without copying it ({@code torch::from_blob}); only the Java
 * wrapper keeps the buffer alive. Views and aliases of that tensor (a reshape, a same-type
 * conversion, tensors saved for backward) carry no such reference, so once the wrapper is closed or
 * collected they read freed memory. This showed up as a rare garbage gradient in training, different
 * from run to run. A copy made right away ({@code clone}) has storage the engine owns and frees
 * itself, which removes the hazard at the cost of one copy of data that is small by nature
 * (indices, token ids, noise, image batches).
 */
public final class HostArrays {
    private HostArrays() {}

    /** A float32 array of {@code shape} holding {@code data}. */
    public static NDArray of(NDManager manager, float[] data, Shape shape) {
        try (NDArray borrowed = manager.create(data, shape)) {
            return borrowed.duplicate();
        }
    }

    /** A 1-D float32 array holding {@code data}. */
    public static NDArray of(NDManager manager, float[] data) {
        return of(manager, data, new Shape(data.length));
    }

    /** A float64 array of {@code shape} holding {@code data}. */
    public static NDArray of(NDManager manager, double[] data, Shape shape) {
        try (NDArray borrowed = manager.create(data, shape)) {
            return borrowed.duplicate();
        }
    }

    /** An int64 array of {@code shape} holding {@code data}. */
    public static NDArray of(NDManager manager, long[] data, Shape shape) {
        try (NDArray borrowed = manager.create(data, shape)) {
            return borrowed.duplicate();
        }
    }

    /** A 1-D int64 array holding {@code data}. */
    public static NDArray of(NDManager manager, long[] data) {
        return of(manager, data, new Shape(data.length));
    }

    /** An int32 array of {@code shape} holding {@code data}. */
    public static NDArray of(NDManager manager, int[] data, Shape shape) {
        try (NDArray borrowed = manager.create(data, shape)) {
            return borrowed.duplicate();
        }
    }

    /** A 1-D int32 array holding {@code data}. */
    public static NDArray of(NDManager manager, int[] data) {
        return of(manager, data, new Shape(data.length));
    }

    /** A boolean array of {@code shape} holding {@code data}. */
    public static NDArray of(NDManager manager, boolean[] data, Shape shape) {
        try (NDArray borrowed = manager.create(data, shape)) {
            return borrowed.duplicate();
        }
    }
}
