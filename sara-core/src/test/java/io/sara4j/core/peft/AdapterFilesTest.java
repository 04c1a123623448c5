package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.nn.Engines;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterFilesTest {
    private NDManager manager;
    private Engine engine;
    @TempDir
    Path dir;

    @BeforeEach
    void setUp() {
        engine = Engines.pytorch();
        manager = engine.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Trains SaRA on the base weights of seed 5 towards {@code target} and saves the adapter. */
    private Path trainSara(String name, float target) {
        TinyModels.Mlp net = TinyModels.mlp(manager, 4, 6, 2, 0.1, 5);
        NDArray x = TinyModels.input(manager, 6, 3, 4);
        Path file = dir.resolve(name);
        try (Sara sara = Sara.attach(net, SaraConfig.builder().setThreshold(0.05).optLearningRate(1e-2).build())) {
            for (int i = 0; i < 5; i++) {
                try (GradientCollector gc = engine.newGradientCollector()) {
                    sara.step(net.forward(x).sub(target).square().mean());
                }
            }
            sara.save(file);
        }
        return file;
    }

    @Test
    void sparseAdaptersAreSummedAtTheirScales() {
        Path a = trainSara("a.safetensors", 1f);
        Path b = trainSara("b.safetensors", -1f);
        TinyModels.Mlp base = TinyModels.mlp(manager, 4, 6, 2, 0.1, 5);
        TinyModels.Mlp tunedA = TinyModels.mlp(manager, 4, 6, 2, 0.1, 5);
        TinyModels.Mlp tunedB = TinyModels.mlp(manager, 4, 6, 2, 0.1, 5);
        AdapterFiles.apply(tunedA, List.of(a), List.of(1.0), manager);
        AdapterFiles.apply(tunedB, List.of(b), List.of(1.0), manager);
        TinyModels.Mlp mixed = TinyModels.mlp(manager, 4, 6, 2, 0.1, 5);
        AdapterFiles.apply(mixed, List.of(a, b), List.of(0.6, 0.6), manager);

        Map<String, NDArray> p0 = base.stateDict();
        mixed.stateDict().forEach((name, w) -> {
            float[] expected = p0.get(name).toFloatArray();
            float[] da = tunedA.stateDict().get(name).toFloatArray();
            float[] db = tunedB.stateDict().get(name).toFloatArray();
            float[] actual = w.toFloatArray();
            for (int i = 0; i < actual.length; i++) {
                double want = expected[i] + 0.6 * (da[i] - expected[i]) + 0.6 * (db[i] - expected[i]);
                assertThat((double) actual[i]).as("%s[%d]", name, i).isCloseTo(want, org.assertj.core.api.Assertions.within(1e-6));
            }
        });
        assertThat(AdapterFiles.format(a)).isEqualTo(SparseAdapter.FORMAT);
    }

    @Test
    void loraIsAppliedAloneAndMixingIsRefused() {
        Path sparse = trainSara("s.safetensors", 1f);
        TinyModels.Mlp net = TinyModels.mlp(manager, 4, 6, 2, 0.1, 5);
        NDArray x = TinyModels.input(manager, 6, 3, 4);
        Path lora = dir.resolve("l.safetensors");
        float[] tuned;
        try (Lora tuner = Lora.attach(net, LoraConfig.rank(1).withTargets(List.of("fc1", "fc2"))
                .withOptimizer(OptimizerConfig.defaults().withLearningRate(1e-2)))) {
            for (int i = 0; i < 3; i++) {
                try (GradientCollector gc = engine.newGradientCollector()) {
                    tuner.step(net.forward(x).sub(1f).square().mean());
                }
            }
            tuned = net.forward(x).toFloatArray();
            tuner.save(lora);
        }
        TinyModels.Mlp fresh = TinyModels.mlp(manager, 4, 6, 2, 0.1, 5);
        AdapterFiles.apply(fresh, List.of(lora), List.of(1.0), manager);
        float[] applied = fresh.forward(x).toFloatArray();
        for (int i = 0; i < tuned.length; i++) {
            assertThat((double) applied[i]).isCloseTo(tuned[i], org.assertj.core.api.Assertions.within(1e-5));
        }
        TinyModels.Mlp other = TinyModels.mlp(manager, 4, 6, 2, 0.1, 5);
        assertThatThrownBy(() -> AdapterFiles.apply(other, List.of(sparse, lora), List.of(1.0, 1.0), manager))
                .hasMessageContaining("LoRA adapter can only be applied alone");
        assertThatThrownBy(() -> AdapterFiles.apply(other, List.of(sparse), List.of(1.0, 2.0), manager))
                .hasMessageContaining("one scale per adapter");
    }

    @Test
    void nonAdapterFilesAreNamed() throws Exception {
        Path plain = dir.resolve("weights.safetensors");
        SafetensorsWriter.write(plain, Map.of("w", manager.zeros(new ai.djl.ndarray.types.Shape(2))), Map.of());
        TinyModels.Mlp net = TinyModels.mlp(manager, 4, 6, 2, 0.1, 5);
        assertThatThrownBy(() -> AdapterFiles.apply(net, List.of(plain), List.of(1.0), manager))
                .hasMessageContaining("weights.safetensors").hasMessageContaining("not a sara4j adapter");
        Path odd = dir.resolve("odd.safetensors");
        SafetensorsWriter.write(odd, Map.of("w", manager.zeros(new ai.djl.ndarray.types.Shape(2))), Map.of("format", "x"));
        assertThatThrownBy(() -> AdapterFiles.apply(net, List.of(odd), List.of(1.0), manager))
                .hasMessageContaining("odd.safetensors").hasMessageContaining("unknown adapter format 'x'");
    }
}
