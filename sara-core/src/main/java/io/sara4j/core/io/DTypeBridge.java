package io.sara4j.core.io;

import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.EnumSet;
import java.util.Set;

/**
 * The one place that works around the dtype gap of DJL 0.36's PyTorch engine.
 *
 * <p>The engine's native layer maps only FLOAT32, FLOAT64, FLOAT16, UINT8, INT32, INT8, INT64 and
 * BOOLEAN to torch types. Any call that hands it another type ({@code create}, {@code zeros},
 * {@code toType} with BFLOAT16 or INT16) throws a C++ exception nobody catches, which aborts the
 * whole JVM instead of raising a Java exception. So BF16 and I16 tensors never reach the engine:
 * they are widened exactly on the Java side when loaded (BF16 → F32 by a 16-bit shift, I16 → I32
 * by sign extension) and narrowed on the Java side when written.
 *
 * <p>The engine also reads and writes raw bytes in the host's order, while safetensors is
 * little-endian; sara4j runs only on little-endian hosts (x86-64, aarch64) and says so clearly
 * elsewhere rather than byte-swapping silently.
 */
final class DTypeBridge {
    private static final Set<DataType> ENGINE_TYPES = Set.copyOf(EnumSet.of(DataType.FLOAT64,
            DataType.FLOAT32, DataType.FLOAT16, DataType.INT64, DataType.INT32, DataType.INT8,
            DataType.UINT8, DataType.BOOLEAN));

    private DTypeBridge() {}

    /** Whether the engine can hold arrays of this type without aborting the process. */
    static boolean canHold(DataType dataType) {
        return ENGINE_TYPES.contains(dataType);
    }

    /** The type a stored type is widened to before it reaches the engine (itself if none needed). */
    static SafetensorsDType widened(SafetensorsDType stored) {
        return switch (stored) {
            case BF16 -> SafetensorsDType.F32;
            case I16 -> SafetensorsDType.I32;
            default -> stored;
        };
    }

    /** Throws if the host is big-endian: engine buffers are in host order, safetensors is not. */
    static void requireLittleEndianHost() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalStateException("safetensors data is little-endian and this host is "
                    + ByteOrder.nativeOrder() + "; sara4j supports little-endian hosts only");
        }
    }

    /**
     * Widens little-endian BF16 or I16 data ({@code src} from position to limit) into a new
     * direct buffer of F32 or I32 values in host order, ready for the engine.
     */
    static ByteBuffer widen(SafetensorsDType stored, ByteBuffer src) {
        ShortBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        int n = in.remaining();
        if ((long) n * 4 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(stored + " tensor of " + n
                    + " elements is too large to widen to 32 bits in one buffer (limit 2 GiB)");
        }
        ByteBuffer out = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
        IntBuffer dst = out.asIntBuffer();
        switch (stored) {
            // bfloat16 is the upper half of a float32: shifting is exact, NaN payloads included.
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst.put(i, (in.get(i) & 0xFFFF) << 16);
                }
            }
            case I16 -> {
                for (int i = 0; i < n; i++) {
                    dst.put(i, in.get(i));
                }
            }
            default -> throw new AssertionError("no widening for " + stored);
        }
        return out;
    }

    /**
     * Narrows F32 values to BF16 or I32 values to I16 ({@code src}: host-order bytes as returned by
     * {@code NDArray.toByteBuffer()}), returning a little-endian heap buffer.
     *
     * <p>F32 → BF16 rounds to nearest, ties to even, as torch does. Unlike torch, which turns
     * every NaN into 0x7FC0, a NaN keeps its sign and the upper payload bits (the quiet bit is
     * set if the kept bits would otherwise read as infinity), so loading a BF16 file and writing it
     * back reproduces it bit for bit. I32 → I16 refuses values outside [-32768, 32767] rather than
     * wrapping them.
     */
    static ByteBuffer narrow(SafetensorsDType target, ByteBuffer src) {
        ByteBuffer out;
        switch (target) {
            case BF16 -> {
                FloatBuffer in = src.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
                int n = in.remaining();
                out = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n; i++) {
                    out.putShort(i * 2, toBfloat16(Float.floatToRawIntBits(in.get(i))));
                }
            }
            case I16 -> {
                IntBuffer in = src.duplicate().order(ByteOrder.nativeOrder()).asIntBuffer();
                int n = in.remaining();
                out = ByteBuffer.allocate(n * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n; i++) {
                    int v = in.get(i);
                    if (v < Short.MIN_VALUE || v > Short.MAX_VALUE) {
                        throw new IllegalArgumentException("value " + v
                                + " at flat index " + i + " does not fit I16 [-32768, 32767]");
                    }
                    out.putShort(i * 2, (short) v);
                }
            }
            default -> throw new AssertionError("no narrowing to " + target);
        }
        return out;
    }

    /** Float32 bits → bfloat16 bits, round to nearest even, NaN payload kept (see {@link #narrow}). */
    static short toBfloat16(int bits) {
        if ((bits & 0x7F80_0000) == 0x7F80_0000 && (bits & 0x007F_FFFF) != 0) {
            int upper = bits >>> 16;
            // Truncating the payload can leave an all-zero mantissa, which would read as infinity.
            return (short) ((upper & 0x007F) == 0 ? upper | 0x0040 : upper);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }
}
