package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.nn.HostArrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The entries a {@link SelectionRule} picked: per tensor, the sorted flat (row-major) positions of
 * the trainable entries, as int32 (int64 only for a tensor of more than 2^31 entries, see
 * {@link #indexType(long)}). Boolean masks are never kept: a mask costs a byte per weight, the
 * index list four bytes per selected weight.
 *
 * <p>Tensors with no selected entry are left out of {@link #indices()}.
 *
 * @param indices per tensor name, a 1-D index array owned by the manager given to the rule
 * @param threshold the global absolute threshold θ the entries satisfy (|w| &lt; θ), or NaN when
 *     the rule is not a threshold (random and largest-magnitude selections)
 * @param count the number of selected entries over all tensors
 * @param total the number of entries of all targeted tensors
 */
public record SparseSelection(Map<String, NDArray> indices, double threshold, long count, long total) {

    /** Keeps the map's order and makes it unmodifiable. */
    public SparseSelection {
        indices = Collections.unmodifiableMap(new LinkedHashMap<>(indices));
    }

    /** The largest tensor size whose flat positions all fit in int32 (max index 2^31 − 1). */
    public static final long INT32_LIMIT = 1L << 31;

    /** int32 positions for tensors of at most 2^31 entries, int64 beyond. */
    public static DataType indexType(long numel) {
        return numel <= INT32_LIMIT ? DataType.INT32 : DataType.INT64;
    }

    /** The selected fraction of the targeted entries. */
    public double fraction() {
        return total == 0 ? 0 : (double) count / total;
    }

    /** One line for logs: count, share and θ. */
    public String summary() {
        String theta = Double.isNaN(threshold) ? "" : String.format(Locale.ROOT, ", theta=%.6g", threshold);
        return String.format(Locale.ROOT, "%d of %d entries (%.4f%%) in %d tensors%s",
                count, total, 100.0 * fraction(), indices.size(), theta);
    }

    /**
     * M = |w| &lt; θ over each tensor (SaRA §3.1, the strict global absolute threshold), computed
     * by the engine: θ is compared in float32, the precision of the weights.
     */
    static SparseSelection threshold(Map<String, NDArray> targets, double theta, NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        long count = 0;
        long total = 0;
        for (Map.Entry<String, NDArray> e : targets.entrySet()) {
            NDArray w = e.getValue();
            total += w.size();
            NDArray idx;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray positions = w.reshape(-1).abs().lt((float) theta).nonzero().reshape(-1); // (k) int64, ascending
                idx = positions.toType(indexType(w.size()), false);
                NDScope.unregister(idx);
            }
            if (idx.size() == 0) {
                idx.close();
                continue;
            }
            idx.attach(manager);
            count += idx.size();
            out.put(e.getKey(), idx);
        }
        return new SparseSelection(out, theta, count, total);
    }

    /**
     * Wraps Java-side position lists (ascending) as index arrays of the right type, kept out of any
     * open {@link NDScope} (they outlive the caller's step).
     */
    static NDArray indexArray(NDManager manager, long[] positions, int length, long numel) {
        NDArray out;
        if (indexType(numel) == DataType.INT32) {
            int[] ints = new int[length];
            for (int i = 0; i < length; i++) {
                ints[i] = (int) positions[i];
            }
            out = HostArrays.of(manager, ints);
        } else {
            long[] longs = new long[length];
            System.arraycopy(positions, 0, longs, 0, length);
            out = HostArrays.of(manager, longs);
        }
        NDScope.unregister(out);
        return out;
    }
}
