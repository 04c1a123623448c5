package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;

/**
 * Arrays made from Java data, copied into memory the engine owns, and arrays read in place. Use these instead of
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

    /**
     * Hands {@code reader} the array's values as {@code type} (converted by the engine first if the
     * array has another type) where the engine keeps them, in native byte order, without a copy on
     * the Java heap; a non-contiguous array is first made contiguous by the engine. The buffer is
     * valid only inside the call.
     *
     * <p>Why: reading a model's weights with {@code toFloatArray} or {@code toByteBuffer()} copies
     * every one of them into short-lived Java arrays, and the JVM keeps the heap pages those touched
     * resident for the rest of the run. For the benchmark UNet that was about 250 MB of resident
     * memory after attaching SaRA, more than all of its training state.
     */
    public static void readInPlace(NDArray array, DataType type, Consumer<ByteBuffer> reader) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            // a new handle either way, so that an engine-made contiguous copy belongs to this scope
            NDArray typed = array.getDataType() == type ? array.stopGradient() : array.toType(type, false);
            reader.accept(typed.toByteBuffer(true).order(ByteOrder.nativeOrder()));
        }
    }

    /** A boolean array of {@code shape} holding {@code data}. */
    public static NDArray of(NDManager manager, boolean[] data, Shape shape) {
        try (NDArray borrowed = manager.create(data, shape)) {
            return borrowed.duplicate();
        }
    }
}
