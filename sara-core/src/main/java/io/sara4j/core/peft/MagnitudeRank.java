package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.nn.HostArrays;
import java.nio.FloatBuffer;
import java.util.Collection;

/**
 * Exact order statistics of |w| over many tensors without sorting or copying them all: a radix
 * selection on the float bits.
 *
 * <p>For non-negative floats the IEEE-754 bit pattern, read as an int, is ordered like the value.
 * A first pass counts the upper 15 magnitude bits (32768 bins) to find the bin that holds the k-th
 * smallest value; a second pass counts the lower 16 bits inside that bin. Two streaming passes,
 * O(n) time, a few hundred kilobytes of counters, and an exact answer (a histogram guess over value
 * ranges would not be). The tensors are read where the engine keeps them
 * ({@link HostArrays#readInPlace}), not copied to the Java heap.
 */
final class MagnitudeRank {
    private MagnitudeRank() {}

    /**
     * The k-th smallest |w| (0-based) over all entries of {@code tensors}.
     *
     * @throws IllegalArgumentException if k is outside [0, n)
     */
    static float kthSmallestAbs(Collection<NDArray> tensors, long k) {
        long n = 0;
        for (NDArray t : tensors) {
            n += t.size();
        }
        if (k < 0 || k >= n) {
            throw new IllegalArgumentException("rank " + k + " is outside [0, " + n + ")");
        }
        long[] high = new long[1 << 15];
        for (NDArray t : tensors) {
            HostArrays.readInPlace(t, DataType.FLOAT32, bytes -> {
                FloatBuffer values = bytes.asFloatBuffer();
                for (int i = 0; i < values.limit(); i++) {
                    high[magnitudeBits(values.get(i)) >>> 16]++;
                }
            });
        }
        int bin = 0;
        long below = 0;
        while (below + high[bin] <= k) {
            below += high[bin];
            bin++;
        }
        long[] low = new long[1 << 16];
        int highBin = bin;
        for (NDArray t : tensors) {
            HostArrays.readInPlace(t, DataType.FLOAT32, bytes -> {
                FloatBuffer values = bytes.asFloatBuffer();
                for (int i = 0; i < values.limit(); i++) {
                    int bits = magnitudeBits(values.get(i));
                    if (bits >>> 16 == highBin) {
                        low[bits & 0xFFFF]++;
                    }
                }
            });
        }
        int lowBits = 0;
        while (below + low[lowBits] <= k) {
            below += low[lowBits];
            lowBits++;
        }
        return Float.intBitsToFloat((bin << 16) | lowBits);
    }

    /** The bits of |v|: the sign bit cleared, so the int order is the magnitude order. */
    static int magnitudeBits(float v) {
        return Float.floatToRawIntBits(v) & 0x7FFFFFFF;
    }
}
