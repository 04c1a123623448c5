package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * How the trainable entries are chosen from the pretrained weights P0: SaRA's threshold (paper §3.1),
 * its fraction variant, and the two ablation baselines of §5.4 (random entries, largest weights).
 * The rule only reads the tensors.
 */
public sealed interface SelectionRule {

    /**
     * Picks the entries of every tensor of {@code targets}.
     *
     * @param targets the targeted tensors by name, in model order
     * @param manager owner of the returned index arrays
     */
    SparseSelection select(Map<String, NDArray> targets, NDManager manager);

    /** A short name for files and logs: {@code threshold}, {@code fraction}, {@code random}, {@code largest}. */
    String id();

    /** The rule's parameters for the adapter's config record, in a fixed order. */
    Map<String, Object> describe();

    /** The tensor's values as a float32 Java array (row-major). */
    private static float[] floats(NDArray t) {
        if (t.getDataType() == DataType.FLOAT32) {
            return t.toFloatArray();
        }
        try (NDArray f = t.toType(DataType.FLOAT32, false)) {
            return f.toFloatArray();
        }
    }

    /** An insertion-ordered map from alternating keys and values (files must not depend on hash order). */
    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    /**
     * SaRA's rule: M = |P0| &lt; θ, one absolute θ for all tensors (paper §3.1; θ = 2e-3 by default,
     * about 50M of SD1.5's UNet values).
     */
    record Threshold(double theta) implements SelectionRule {
        /** θ must be positive and finite. */
        public Threshold {
            if (!(theta > 0) || Double.isInfinite(theta)) {
                throw new IllegalArgumentException("threshold must be a positive finite number, got " + theta);
            }
        }

        @Override
        public SparseSelection select(Map<String, NDArray> targets, NDManager manager) {
            return SparseSelection.threshold(targets, theta, manager);
        }

        @Override
        public String id() {
            return "threshold";
        }

        @Override
        public Map<String, Object> describe() {
            return ordered("rule", id(), "theta", theta);
        }
    }

    /**
     * θ chosen so that a fraction f of all targeted entries is selected: θ is the exact order
     * statistic |w|_(k), k = round(f·n), found by {@link MagnitudeRank}, and then M = |P0| &lt; θ.
     * With ties at θ the count can fall short of k; the selection reports θ and the count.
     */
    record Fraction(double fraction) implements SelectionRule {
        /** f must lie in (0, 1]. */
        public Fraction {
            if (!(fraction > 0 && fraction <= 1)) {
                throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
            }
        }

        @Override
        public SparseSelection select(Map<String, NDArray> targets, NDManager manager) {
            long n = targets.values().stream().mapToLong(NDArray::size).sum();
            long k = Math.round(fraction * n);
            if (k == 0) {
                return new SparseSelection(Map.of(), 0, 0, n);
            }
            double theta = k >= n ? Double.POSITIVE_INFINITY : MagnitudeRank.kthSmallestAbs(targets.values(), k);
            return SparseSelection.threshold(targets, theta, manager);
        }

        @Override
        public String id() {
            return "fraction";
        }

        @Override
        public Map<String, Object> describe() {
            return ordered("rule", id(), "fraction", fraction);
        }
    }

    /**
     * {@code count} entries drawn uniformly without replacement from all targeted entries (the
     * "random weights" ablation), by sequential selection sampling: position i is taken with
     * probability (still needed)/(still left), which yields exactly {@code count} sorted positions.
     */
    record RandomEntries(long count, long seed) implements SelectionRule {
        /** The count must be non-negative. */
        public RandomEntries {
            if (count < 0) {
                throw new IllegalArgumentException("count must be >= 0, got " + count);
            }
        }

        @Override
        public SparseSelection select(Map<String, NDArray> targets, NDManager manager) {
            long left = targets.values().stream().mapToLong(NDArray::size).sum();
            if (count > left) {
                throw new IllegalArgumentException("cannot draw " + count + " entries from " + left + " targeted entries");
            }
            SplittableRandom random = new SplittableRandom(seed);
            long needed = count;
            long total = left;
            Map<String, NDArray> out = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : targets.entrySet()) {
                long numel = e.getValue().size();
                long[] picked = new long[(int) Math.min(numel, needed)];
                int k = 0;
                // once the quota is met nothing more can be picked, so the loop may stop early
                for (long i = 0; i < numel && needed > 0; i++, left--) {
                    if (random.nextDouble() * left < needed) {
                        picked[k++] = i;
                        needed--;
                    }
                }
                if (k > 0) {
                    out.put(e.getKey(), SparseSelection.indexArray(manager, picked, k, numel));
                }
            }
            return new SparseSelection(out, Double.NaN, count, total);
        }

        @Override
        public String id() {
            return "random";
        }

        @Override
        public Map<String, Object> describe() {
            return ordered("rule", id(), "count", count, "seed", seed);
        }
    }

    /**
     * The {@code count} entries of largest |w| over all targeted tensors (the "largest weights"
     * ablation): t = the count-th largest magnitude, then every |w| &gt; t plus, in model order, as
     * many |w| = t as needed for exactly {@code count}.
     */
    record LargestMagnitude(long count) implements SelectionRule {
        /** The count must be non-negative. */
        public LargestMagnitude {
            if (count < 0) {
                throw new IllegalArgumentException("count must be >= 0, got " + count);
            }
        }

        @Override
        public SparseSelection select(Map<String, NDArray> targets, NDManager manager) {
            long n = targets.values().stream().mapToLong(NDArray::size).sum();
            if (count > n) {
                throw new IllegalArgumentException("cannot pick " + count + " entries from " + n + " targeted entries");
            }
            if (count == 0) {
                return new SparseSelection(Map.of(), Double.NaN, 0, n);
            }
            int cut = MagnitudeRank.magnitudeBits(MagnitudeRank.kthSmallestAbs(targets.values(), n - count));
            long above = 0;
            for (NDArray t : targets.values()) {
                for (float v : floats(t)) {
                    if (MagnitudeRank.magnitudeBits(v) > cut) {
                        above++;
                    }
                }
            }
            long tiesWanted = count - above;
            Map<String, NDArray> out = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : targets.entrySet()) {
                float[] values = floats(e.getValue());
                long[] picked = new long[values.length];
                int k = 0;
                for (int i = 0; i < values.length; i++) {
                    int bits = MagnitudeRank.magnitudeBits(values[i]);
                    boolean tieTaken = bits == cut && tiesWanted > 0;
                    if (bits > cut || tieTaken) {
                        picked[k++] = i;
                    }
                    if (tieTaken) {
                        tiesWanted--;
                    }
                }
                if (k > 0) {
                    out.put(e.getKey(), SparseSelection.indexArray(manager, picked, k, values.length));
                }
            }
            return new SparseSelection(out, Double.NaN, count, n);
        }

        @Override
        public String id() {
            return "largest";
        }

        @Override
        public Map<String, Object> describe() {
            return ordered("rule", id(), "count", count);
        }
    }
}
