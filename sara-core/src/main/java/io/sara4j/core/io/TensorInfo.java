package io.sara4j.core.io;

import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor's entry in a safetensors header: its name, element type, row-major shape and byte
 * range {@code [begin, end)} relative to the start of the data section (the byte after the header).
 *
 * <p>The record is immutable: the shape array is copied in and out. The compact constructor checks
 * only what makes the record meaningless (negative dimension, reversed range, a range whose length
 * differs from dtype × shape); {@link SafetensorsFile} reports those problems with the file name
 * before it gets this far.
 */
public record TensorInfo(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {

    /** Validates and defensively copies the shape. */
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape "
                        + Arrays.toString(shape));
            }
        }
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("tensor '" + name + "': invalid byte range [" + begin
                    + ", " + end + ")");
        }
        long expected = byteSize(dtype, shape);
        if (end - begin != expected) {
            throw new IllegalArgumentException("tensor '" + name + "': " + dtype + " " + Arrays.toString(shape)
                    + " needs " + expected + " bytes but the range holds " + (end - begin));
        }
    }

    /** A copy of the shape (empty for a scalar). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of bytes in the data section: {@code end - begin}. */
    public long byteSize() {
        return end - begin;
    }

    /** Product of the dimensions; 1 for a scalar, 0 if any dimension is 0. */
    public long elementCount() {
        return elementCount(shape);
    }

    /** The shape as a DJL {@link Shape}. */
    public Shape djlShape() {
        return new Shape(shape);
    }

    /** Product of the dimensions; ArithmeticException if it exceeds a long. */
    static long elementCount(long[] shape) {
        for (long d : shape) {
            if (d == 0) {
                return 0; // checked first so that [huge, huge, 0] is empty, not an overflow
            }
        }
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** dtype size × element count; ArithmeticException if it exceeds a long. */
    static long byteSize(SafetensorsDType dtype, long[] shape) {
        return Math.multiplyExact(elementCount(shape), (long) dtype.byteSize());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
    }
}
