package io.sara4j.core.io;

import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The safetensors element types sara4j reads and writes; the constant names are the header's
 * {@code "dtype"} strings. Every type is stored little-endian with no padding between elements.
 *
 * <p>DJL 0.36's PyTorch engine cannot hold {@link #BF16} or {@link #I16} arrays (see
 * {@link #loadDataType()}); those two are still read and written exactly, as bytes.
 */
public enum SafetensorsDType {
    F64(8, DataType.FLOAT64),
    F32(4, DataType.FLOAT32),
    F16(2, DataType.FLOAT16),
    BF16(2, DataType.BFLOAT16),
    I64(8, DataType.INT64),
    I32(4, DataType.INT32),
    I16(2, DataType.INT16),
    I8(1, DataType.INT8),
    U8(1, DataType.UINT8),
    /** One byte per element, 0 or 1, as torch and numpy store booleans. */
    BOOL(1, DataType.BOOLEAN);

    private final int byteSize;
    private final DataType dataType;

    SafetensorsDType(int byteSize, DataType dataType) {
        this.byteSize = byteSize;
        this.dataType = dataType;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The DJL data type with the same meaning (BF16 maps to BFLOAT16, I16 to INT16). */
    public DataType toDataType() {
        return dataType;
    }

    /**
     * The DJL data type of an array {@link SafetensorsFile#load loaded} without a target type:
     * the stored type, except BF16 → FLOAT32 and I16 → INT32. Both widenings are exact; they exist
     * because the PyTorch engine of DJL 0.36 aborts the JVM on BFLOAT16 and INT16 arrays.
     */
    public DataType loadDataType() {
        return DTypeBridge.canHold(dataType) ? dataType : DTypeBridge.widened(this).toDataType();
    }

    /** The safetensors type of a DJL data type; IllegalArgumentException if there is none. */
    public static SafetensorsDType of(DataType dataType) {
        for (SafetensorsDType t : values()) {
            if (t.dataType == dataType) {
                return t;
            }
        }
        throw new IllegalArgumentException("DJL data type " + dataType.name()
                + " has no safetensors equivalent (supported: " + supportedDataTypes() + ")");
    }

    /**
     * The type named by a header's {@code "dtype"} string, case-sensitive as in the format;
     * IllegalArgumentException listing the supported names otherwise (the reader adds the file
     * and tensor to the message).
     */
    public static SafetensorsDType parse(String headerName) {
        for (SafetensorsDType t : values()) {
            if (t.name().equals(headerName)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unsupported dtype '" + headerName + "' (supported: "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")) + ")");
    }

    private static String supportedDataTypes() {
        return Arrays.stream(values()).map(t -> t.dataType.name()).collect(Collectors.joining(", "));
    }
}
