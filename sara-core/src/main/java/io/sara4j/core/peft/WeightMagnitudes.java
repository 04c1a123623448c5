package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a model's weight magnitudes are distributed: for each threshold θ, how many entries have
 * |w| &lt; θ (the count SaRA would train, paper §3.1 and Fig. 2), split by tensor kind, and a
 * histogram of |w| over decades. Counts are exact (computed by the engine in float32, the
 * precision the selection uses).
 *
 * @param total number of entries of the targeted tensors
 * @param thresholds the thresholds, ascending
 * @param below for each threshold, the number of entries with |w| &lt; θ
 * @param belowByKind for each tensor kind ("conv", "linear", "norm/bias", "embedding/other"), the
 *     count below each threshold
 * @param totalByKind entries per tensor kind
 * @param decadeEdges histogram edges 0, 1e-8, 1e-7, …, 1e1, +∞ (one more than the counts)
 * @param decadeCounts entries with |w| in [edge i, edge i+1)
 */
public record WeightMagnitudes(long total, List<Double> thresholds, List<Long> below,
        Map<String, List<Long>> belowByKind, Map<String, Long> totalByKind,
        List<Double> decadeEdges, List<Long> decadeCounts) {

    /** Makes the record immutable. */
    public WeightMagnitudes {
        thresholds = List.copyOf(thresholds);
        below = List.copyOf(below);
        Map<String, List<Long>> byKind = new LinkedHashMap<>();
        belowByKind.forEach((k, v) -> byKind.put(k, List.copyOf(v)));
        belowByKind = Collections.unmodifiableMap(byKind);
        totalByKind = Collections.unmodifiableMap(new LinkedHashMap<>(totalByKind));
        decadeEdges = List.copyOf(decadeEdges);
        decadeCounts = List.copyOf(decadeCounts);
    }

    /**
     * Measures the parameters of {@code module} that {@code filter} accepts.
     *
     * @param thresholds θ values (sorted here)
     */
    public static WeightMagnitudes of(Module module, NameFilter filter, List<Double> thresholds) {
        List<Double> sorted = new ArrayList<>(thresholds);
        Collections.sort(sorted);
        List<Double> edges = new ArrayList<>();
        edges.add(0.0);
        for (int e = -8; e <= 1; e++) {
            edges.add(Math.pow(10, e));
        }
        edges.add(Double.POSITIVE_INFINITY);
        long[] below = new long[sorted.size()];
        long[] decades = new long[edges.size() - 1];
        Map<String, long[]> byKind = new LinkedHashMap<>();
        Map<String, Long> totalByKind = new LinkedHashMap<>();
        long total = 0;
        for (Map.Entry<String, Parameter> e : module.namedParameters().entrySet()) {
            if (!filter.test(e.getKey())) {
                continue;
            }
            NDArray w = e.getValue().data();
            String kind = kind(e.getKey(), w);
            long[] kindBelow = byKind.computeIfAbsent(kind, k -> new long[sorted.size()]);
            totalByKind.merge(kind, w.size(), Long::sum);
            total += w.size();
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray magnitude = w.stopGradient().abs();
                for (int i = 0; i < sorted.size(); i++) {
                    long n = magnitude.lt(sorted.get(i).floatValue()).sum().toType(DataType.INT64, false).getLong();
                    below[i] += n;
                    kindBelow[i] += n;
                }
                long previous = 0;
                for (int i = 1; i < edges.size(); i++) {
                    long n = Double.isInfinite(edges.get(i)) ? w.size()
                            : magnitude.lt(edges.get(i).floatValue()).sum().toType(DataType.INT64, false).getLong();
                    decades[i - 1] += n - previous;
                    previous = n;
                }
            }
        }
        Map<String, List<Long>> kindLists = new LinkedHashMap<>();
        byKind.forEach((k, v) -> kindLists.put(k, toList(v)));
        return new WeightMagnitudes(total, sorted, toList(below), kindLists, totalByKind, edges, toList(decades));
    }

    /** The tensor kind a parameter belongs to, by rank and name. */
    static String kind(String name, NDArray w) {
        int rank = w.getShape().dimension();
        if (rank == 4) {
            return "conv";
        }
        if (rank == 2) {
            return name.contains("embedding") ? "embedding/other" : "linear";
        }
        return rank == 1 ? "norm/bias" : "embedding/other";
    }

    private static List<Long> toList(long[] values) {
        List<Long> out = new ArrayList<>(values.length);
        for (long v : values) {
            out.add(v);
        }
        return out;
    }

    /** The share of entries below threshold number {@code i}. */
    public double fractionBelow(int i) {
        return total == 0 ? 0 : (double) below.get(i) / total;
    }
}
