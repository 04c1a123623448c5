package io.sara4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor as the safetensors format stores it: element type, row-major shape and exactly
 * {@code byteSize(dtype) × elements} little-endian bytes. Lets code write files without creating
 * NDArrays, and is the only way to write BF16 and I16, which DJL's PyTorch engine cannot hold.
 *
 * <p>The data is the buffer's content from position to limit, captured as a read-only view when
 * the record is built: the record does not copy it, so the caller must not change those bytes
 * before the file is written.
 */
public record RawTensor(SafetensorsDType dtype, long[] shape, ByteBuffer data) {

    /** Checks that the data holds exactly the bytes dtype × shape needs. */
    public RawTensor {
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
        }
        long expected = TensorInfo.byteSize(dtype, shape);
        data = data.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (data.remaining() != expected) {
            throw new IllegalArgumentException(dtype + " " + Arrays.toString(shape) + " needs " + expected
                    + " bytes, the buffer holds " + data.remaining());
        }
    }

    /** A copy of the shape. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** A fresh read-only little-endian view of the bytes (position 0). */
    @Override
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The bytes of {@code array} in its own type (copied to the heap now). */
    public static RawTensor of(NDArray array) {
        DTypeBridge.requireLittleEndianHost();
        SafetensorsDType dtype = SafetensorsDType.of(array.getDataType());
        return new RawTensor(dtype, array.getShape().getShape(), array.toByteBuffer());
    }

    /**
     * The values of {@code array} converted to {@code storeAs} (copied to the heap now), e.g. float32
     * deltas stored as F16 or BF16. Conversions the engine supports are done by the engine; BF16
     * rounds float32 values to nearest even, I16 refuses values outside its range.
     */
    public static RawTensor of(NDArray array, SafetensorsDType storeAs) {
        DTypeBridge.requireLittleEndianHost();
        long[] shape = array.getShape().getShape();
        DataType via = DTypeBridge.widened(storeAs).toDataType();
        if (array.getDataType() == storeAs.toDataType()) {
            return of(array);
        }
        ByteBuffer bytes;
        if (array.getDataType() == via) {
            bytes = array.toByteBuffer();
        } else {
            try (NDArray converted = array.toType(via, false)) {
                bytes = converted.toByteBuffer();
            }
        }
        if (via != storeAs.toDataType()) {
            bytes = DTypeBridge.narrow(storeAs, bytes);
        }
        return new RawTensor(storeAs, shape, bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawTensor r && dtype == r.dtype && Arrays.equals(shape, r.shape) && data.equals(r.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(dtype, Arrays.hashCode(shape), data);
    }

    @Override
    public String toString() {
        return "RawTensor[" + dtype + " " + Arrays.toString(shape) + ", " + data.remaining() + " bytes]";
    }
}
