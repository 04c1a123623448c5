package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.sara4j.core.io.SafetensorsDType;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparseAdapterTest {
    @TempDir
    Path dir;

    private NDManager manager;
    private Engine engine;
    private NDArray x;

    @BeforeEach
    void setUp() {
        engine = Engines.pytorch();
        manager = engine.newBaseManager();
        x = TinyModels.input(manager, 100, 7, 6);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private TinyModels.Mlp base() {
        return TinyModels.mlp(manager, 6, 10, 4, 0.1, 42);
    }

    /** Trains SaRA on a fresh base for {@code steps} steps towards {@code target} and saves it. */
    private TinyModels.Mlp train(Path file, int steps, double target, SafetensorsDType deltaType) {
        TinyModels.Mlp net = base();
        SaraConfig config = SaraConfig.builder().setThreshold(0.05).optLearningRate(5e-3).optRankMinDim(4)
                .optTotalSteps(steps).build();
        try (Sara sara = Sara.attach(net, config)) {
            for (int i = 0; i < steps; i++) {
                try (GradientCollector gc = engine.newGradientCollector()) {
                    sara.step(net.forward(x).sub((float) target).square().mean());
                }
            }
            sara.save(file, deltaType);
            sara.merge();
        }
        return net;
    }

    private float[] output(TinyModels.Mlp net) {
        return net.forward(x).toFloatArray();
    }

    @Test
    void saveLoadRoundTripIsBitExact() {
        Path file = dir.resolve("a.safetensors");
        TinyModels.Mlp tuned = train(file, 12, 0.5, SafetensorsDType.F32);
        try (SparseAdapter a = SparseAdapter.read(file, manager)) {
            Path again = dir.resolve("b.safetensors");
            a.write(again);
            try (SparseAdapter b = SparseAdapter.read(again, manager)) {
                assertThat(b.entries().keySet()).containsExactlyElementsOf(a.entries().keySet());
                a.entries().forEach((name, e) -> {
                    SparseAdapter.Entry f = b.entries().get(name);
                    assertThat(f.positions().getDataType()).isEqualTo(DataType.INT32);
                    assertThat(f.positions().toIntArray()).containsExactly(e.positions().toIntArray());
                    assertThat(f.delta().toFloatArray()).containsExactly(e.delta().toFloatArray());
                });
                assertThat(b.method()).isEqualTo("sara");
                assertThat(b.threshold()).isEqualTo(0.05);
                assertThat(b.steps()).isEqualTo(12);
                assertThat(b.configJson()).contains("\"theta\":0.05", "\"progressive_iter\":6");
                assertThat(b.fingerprint()).isEqualTo(a.fingerprint());
            }
            // the deltas are what the model changed: tuned − base at the positions, zero elsewhere
            TinyModels.Mlp fresh = base();
            a.entries().forEach((name, e) -> {
                float[] t = tuned.namedParameters().get(name).data().toFloatArray();
                float[] p0 = fresh.namedParameters().get(name).data().toFloatArray();
                int[] pos = e.positions().toIntArray();
                float[] d = e.delta().toFloatArray();
                for (int k = 0; k < pos.length; k++) {
                    assertThat(d[k]).isEqualTo(t[pos[k]] - p0[pos[k]]);
                }
            });
        }
    }

    @Test
    void freshBasePlusAdapterReproducesTheTunedModelExactlyAndAlphaScales() {
        Path file = dir.resolve("a.safetensors");
        TinyModels.Mlp tuned = train(file, 15, 0.5, SafetensorsDType.F32);
        float[] baseOut = output(base());
        try (SparseAdapter a = SparseAdapter.read(file, manager)) {
            TinyModels.Mlp one = base();
            a.applyTo(one);
            assertThat(output(one)).containsExactly(output(tuned));
            tuned.namedParameters().forEach((name, p) ->
                    assertThat(one.namedParameters().get(name).data().toFloatArray()).containsExactly(p.data().toFloatArray()));

            TinyModels.Mlp zero = base();
            a.applyTo(zero, 0.0);
            assertThat(output(zero)).containsExactly(baseOut);
            assertThat(output(tuned)).isNotEqualTo(baseOut);

            // α = 0.5 lands half-way, entry by entry
            TinyModels.Mlp half = base();
            a.applyTo(half, 0.5);
            TinyModels.Mlp p0 = base();
            a.entries().forEach((name, e) -> {
                float[] h = half.namedParameters().get(name).data().toFloatArray();
                float[] b = p0.namedParameters().get(name).data().toFloatArray();
                int[] pos = e.positions().toIntArray();
                float[] d = e.delta().toFloatArray();
                for (int k = 0; k < pos.length; k++) {
                    assertThat(h[pos[k]]).isEqualTo(b[pos[k]] + 0.5f * d[k]);
                }
            });
        }
    }

    @Test
    void twoAdaptersAdd() {
        Path fa = dir.resolve("a.safetensors");
        Path fb = dir.resolve("b.safetensors");
        train(fa, 10, 0.5, SafetensorsDType.F32);
        train(fb, 10, -0.5, SafetensorsDType.F32);
        try (SparseAdapter a = SparseAdapter.read(fa, manager); SparseAdapter b = SparseAdapter.read(fb, manager);
                SparseAdapter both = SparseAdapter.combine(List.of(a, b), List.of(0.6, 0.6))) {
            TinyModels.Mlp net = base();
            both.applyTo(net);
            TinyModels.Mlp p0 = base();
            p0.namedParameters().forEach((name, p) -> {
                double[] expected = Tensors.toDoubles(p.data());
                for (SparseAdapter s : List.of(a, b)) {
                    SparseAdapter.Entry e = s.entries().get(name);
                    if (e == null) {
                        continue;
                    }
                    int[] pos = e.positions().toIntArray();
                    float[] d = e.delta().toFloatArray();
                    for (int k = 0; k < pos.length; k++) {
                        expected[pos[k]] += 0.6 * d[k];
                    }
                }
                assertThat(Tensors.maxRelativeError(Tensors.toDoubles(net.namedParameters().get(name).data()), expected))
                        .as(name).isLessThan(1e-6);
            });
        }
    }

    @Test
    void wrongBaseIsRefusedNamingTheTensor() {
        Path file = dir.resolve("a.safetensors");
        train(file, 3, 0.5, SafetensorsDType.F32);
        try (SparseAdapter a = SparseAdapter.read(file, manager)) {
            TinyModels.Mlp other = TinyModels.mlp(manager, 6, 10, 4, 0.1, 43); // same shapes, other values
            assertThatThrownBy(() -> a.applyTo(other))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("fc1.weight: values differ")
                    .hasMessageContaining("fc2.bias: values differ");
            TinyModels.Mlp wider = TinyModels.mlp(manager, 6, 11, 4, 0.1, 42);
            assertThatThrownBy(() -> a.applyTo(wider))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("fc1.weight: shape expected [10, 6], found [11, 6]");
            // one changed value in one tensor is caught and named
            TinyModels.Mlp nudged = base();
            nudged.fc2.weight().data().set(new ai.djl.ndarray.index.NDIndex("0, 0"), 0.123f);
            assertThatThrownBy(() -> a.applyTo(nudged))
                    .hasMessageContaining("fc2.weight: values differ")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("fc1.weight"));
            // nothing was applied by the refused calls
            assertThat(output(other)).containsExactly(output(TinyModels.mlp(manager, 6, 10, 4, 0.1, 43)));
        }
    }

    @Test
    void halfPrecisionDeltasAreCloseButSmaller() {
        Path f32 = dir.resolve("f32.safetensors");
        Path f16 = dir.resolve("f16.safetensors");
        Path bf16 = dir.resolve("bf16.safetensors");
        train(f32, 8, 0.5, SafetensorsDType.F32);
        train(f16, 8, 0.5, SafetensorsDType.F16);
        train(bf16, 8, 0.5, SafetensorsDType.BF16);
        try (SparseAdapter a = SparseAdapter.read(f32, manager); SparseAdapter h = SparseAdapter.read(f16, manager);
                SparseAdapter b = SparseAdapter.read(bf16, manager)) {
            a.entries().forEach((name, e) -> {
                double[] exact = Tensors.toDoubles(e.delta());
                assertThat(Tensors.maxRelativeError(Tensors.toDoubles(h.entries().get(name).delta()), exact)).isLessThan(1e-3);
                assertThat(Tensors.maxRelativeError(Tensors.toDoubles(b.entries().get(name).delta()), exact)).isLessThan(1e-2);
            });
        }
        assertThat(f16.toFile().length()).isLessThan(f32.toFile().length());
    }

    @Test
    void malformedFilesAreRefusedWithTheProblemNamed() throws Exception {
        Path notAdapter = dir.resolve("weights.safetensors");
        SafetensorsWriter.write(notAdapter, Map.of("w", manager.zeros(new Shape(2))), Map.of());
        assertThatThrownBy(() -> SparseAdapter.read(notAdapter, manager))
                .hasMessageContaining("not a sara4j sparse adapter").hasMessageContaining("weights.safetensors");

        Path file = dir.resolve("a.safetensors");
        train(file, 2, 0.5, SafetensorsDType.F32);
        Map<String, String> meta;
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            meta = new LinkedHashMap<>(f.metadata());
            for (String n : f.names()) {
                tensors.put(n, f.load(n, manager));
            }
        }
        Map<String, String> newer = new LinkedHashMap<>(meta);
        newer.put("format_version", "2");
        Path future = dir.resolve("future.safetensors");
        SafetensorsWriter.write(future, tensors, newer);
        assertThatThrownBy(() -> SparseAdapter.read(future, manager)).hasMessageContaining("format_version 2");

        Map<String, NDArray> unsorted = new LinkedHashMap<>(tensors);
        NDArray idx = tensors.get("fc1.weight.sara.idx");
        unsorted.put("fc1.weight.sara.idx", idx.flip(0));
        Path bad = dir.resolve("bad.safetensors");
        SafetensorsWriter.write(bad, unsorted, meta);
        assertThatThrownBy(() -> SparseAdapter.read(bad, manager))
                .hasMessageContaining("fc1.weight.sara.idx").hasMessageContaining("ascending");

        Map<String, NDArray> orphan = new LinkedHashMap<>(tensors);
        orphan.remove("fc2.bias.sara.delta");
        Path half = dir.resolve("half.safetensors");
        SafetensorsWriter.write(half, orphan, meta);
        assertThatThrownBy(() -> SparseAdapter.read(half, manager)).hasMessageContaining("'fc2.bias' needs both");
    }
}
