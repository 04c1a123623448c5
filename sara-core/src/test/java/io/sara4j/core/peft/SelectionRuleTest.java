package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SelectionRuleTest {
    private NDManager manager;
    private Map<String, NDArray> targets;
    private Map<String, float[]> values;

    @BeforeEach
    void setUp() {
        manager = Engines.pytorch().newBaseManager();
        Random r = new Random(11);
        targets = new LinkedHashMap<>();
        values = new LinkedHashMap<>();
        add("a.weight", new Shape(30, 20), r, 0.02);
        add("a.bias", new Shape(30), r, 0.02);
        add("conv.weight", new Shape(8, 4, 3, 3), r, 0.05);
        // exact zeros and repeated values: ties must not break the rules
        float[] ties = {0f, -0f, 1e-3f, -1e-3f, 1e-3f, 5e-3f, -5e-3f, 0f};
        targets.put("ties", manager.create(ties));
        values.put("ties", ties);
    }

    private void add(String name, Shape shape, Random r, double scale) {
        NDArray a = Tensors.float32(manager, Tensors.uniform(r, (int) shape.size(), scale), shape);
        targets.put(name, a);
        values.put(name, a.toFloatArray());
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Every |w| of all tensors, sorted (the independent reference for order statistics). */
    private float[] sortedMagnitudes() {
        List<Float> all = new ArrayList<>();
        values.values().forEach(v -> {
            for (float x : v) {
                all.add(Math.abs(x));
            }
        });
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        Arrays.sort(out);
        return out;
    }

    private static long[] positions(NDArray idx) {
        return idx.toType(DataType.INT64, false).toLongArray();
    }

    @Test
    void thresholdCountEqualsDirectCountAndIndicesAreSortedInt32() {
        double theta = 4e-3;
        SparseSelection s = new SelectionRule.Threshold(theta).select(targets, manager);
        long direct = 0;
        for (Map.Entry<String, float[]> e : values.entrySet()) {
            List<Long> expected = new ArrayList<>();
            float[] v = e.getValue();
            for (int i = 0; i < v.length; i++) {
                if (Math.abs(v[i]) < (float) theta) {
                    expected.add((long) i);
                }
            }
            direct += expected.size();
            NDArray idx = s.indices().get(e.getKey());
            if (expected.isEmpty()) {
                assertThat(idx).isNull();
                continue;
            }
            assertThat(idx.getDataType()).isEqualTo(DataType.INT32);
            assertThat(positions(idx)).containsExactly(expected.stream().mapToLong(Long::longValue).toArray());
        }
        assertThat(s.count()).isEqualTo(direct).isPositive();
        assertThat(s.total()).isEqualTo(600 + 30 + 288 + 8);
        assertThat(s.threshold()).isEqualTo(theta);
        // strictness: |w| == θ is not selected
        SparseSelection strict = new SelectionRule.Threshold(1e-3).select(Map.of("ties", targets.get("ties")), manager);
        assertThat(positions(strict.indices().get("ties"))).containsExactly(0, 1, 7);
    }

    @Test
    void indexTypeIsInt32UpTo2To31Entries() {
        assertThat(SparseSelection.indexType(1)).isEqualTo(DataType.INT32);
        assertThat(SparseSelection.indexType(1L << 31)).isEqualTo(DataType.INT32);        // max index 2^31 − 1
        assertThat(SparseSelection.indexType((1L << 31) + 1)).isEqualTo(DataType.INT64);
        assertThat(SparseSelection.indexType(1L << 40)).isEqualTo(DataType.INT64);
    }

    @Test
    void fractionPicksTheExactQuantile() {
        float[] sorted = sortedMagnitudes();
        for (double f : new double[] {0.01, 0.1, 0.37, 0.5, 0.99}) {
            SparseSelection s = new SelectionRule.Fraction(f).select(targets, manager);
            long k = Math.round(f * sorted.length);
            assertThat(s.threshold()).as("f=" + f).isEqualTo(sorted[(int) k]);
            long below = 0;
            for (float x : sorted) {
                if (x < sorted[(int) k]) {
                    below++;
                }
            }
            assertThat(s.count()).as("f=" + f).isEqualTo(below);
        }
        assertThat(new SelectionRule.Fraction(1.0).select(targets, manager).count()).isEqualTo(sorted.length);
    }

    @Test
    void largestPicksExactlyTheTopCount() {
        float[] sorted = sortedMagnitudes();
        long count = 100;
        SparseSelection s = new SelectionRule.LargestMagnitude(count).select(targets, manager);
        assertThat(s.count()).isEqualTo(count);
        float cut = sorted[sorted.length - (int) count];
        long selected = 0;
        for (Map.Entry<String, NDArray> e : s.indices().entrySet()) {
            long[] p = positions(e.getValue());
            assertThat(p).isSorted();
            float[] v = values.get(e.getKey());
            for (long i : p) {
                assertThat(Math.abs(v[(int) i])).isGreaterThanOrEqualTo(cut);
            }
            selected += p.length;
        }
        assertThat(selected).isEqualTo(count);
        // ties: the 3 largest of the tie tensor are 5e-3, 5e-3, then one of the two 1e-3 values
        SparseSelection t = new SelectionRule.LargestMagnitude(3).select(Map.of("ties", targets.get("ties")), manager);
        assertThat(positions(t.indices().get("ties"))).containsExactly(2, 5, 6);
    }

    @Test
    void randomDrawsExactlyCountSortedDistinctAndReproducible() {
        long n = sortedMagnitudes().length;
        SparseSelection a = new SelectionRule.RandomEntries(200, 42).select(targets, manager);
        SparseSelection b = new SelectionRule.RandomEntries(200, 42).select(targets, manager);
        SparseSelection c = new SelectionRule.RandomEntries(200, 43).select(targets, manager);
        long total = 0;
        for (Map.Entry<String, NDArray> e : a.indices().entrySet()) {
            long[] p = positions(e.getValue());
            assertThat(p).isSorted().doesNotHaveDuplicates();
            assertThat(p).containsExactly(positions(b.indices().get(e.getKey())));
            total += p.length;
        }
        assertThat(total).isEqualTo(200);
        assertThat(a.total()).isEqualTo(n);
        assertThat(positions(a.indices().get("a.weight"))).isNotEqualTo(positions(c.indices().get("a.weight")));
        // roughly proportional to tensor size (600 of 926 entries in a.weight)
        assertThat(a.indices().get("a.weight").size()).isBetween(100L, 160L);
    }

    @Test
    void rulesValidateTheirParameters() {
        assertThatThrownBy(() -> new SelectionRule.Threshold(0)).hasMessageContaining("threshold");
        assertThatThrownBy(() -> new SelectionRule.Fraction(1.5)).hasMessageContaining("fraction");
        assertThatThrownBy(() -> new SelectionRule.RandomEntries(10_000, 1).select(targets, manager))
                .hasMessageContaining("10000");
    }
}
