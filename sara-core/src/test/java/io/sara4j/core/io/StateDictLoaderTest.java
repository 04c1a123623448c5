package io.sara4j.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.ModuleList;
import io.sara4j.core.nn.StateDictMismatchException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDictLoaderTest {
    /** Keys {@code layers.0.weight}, {@code layers.0.bias}, {@code layers.1.weight}. */
    static final class Net extends Module {
        Net(NDManager m) {
            ModuleList<Linear> layers = registerModule("layers", new ModuleList<>());
            layers.add(new Linear(m, 2, 3, true));
            layers.add(new Linear(m, 3, 2, false));
        }
    }

    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = Engines.pytorch().newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private Map<String, NDArray> values() {
        Map<String, NDArray> state = new LinkedHashMap<>();
        state.put("layers.0.weight", manager.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(3, 2)));
        state.put("layers.0.bias", manager.create(new float[] {-1, 0.5f, 0.25f}, new Shape(3)));
        state.put("layers.1.weight", manager.create(new float[] {7, 8, 9, 10, 11, 12}, new Shape(2, 3)));
        return state;
    }

    @Test
    void copiesEveryTensorIntoTheParameterOfItsKey() throws IOException {
        Path file = dir.resolve("w.safetensors");
        SafetensorsWriter.write(file, values(), Map.of());
        Net net = new Net(manager);
        StateDictLoader.loadStrict(net, file, Set.of());
        values().forEach((key, expected) ->
                assertThat(net.stateDict().get(key).toFloatArray()).as(key).containsExactly(expected.toFloatArray()));
    }

    @Test
    void convertsToEachParametersTypeIncludingBf16Files() throws IOException {
        Path file = dir.resolve("half.safetensors");
        Map<String, RawTensor> raw = new LinkedHashMap<>();
        values().forEach((key, value) -> raw.put(key, RawTensor.of(value,
                key.endsWith("bias") ? SafetensorsDType.BF16 : SafetensorsDType.F16)));
        SafetensorsWriter.writeRaw(file, raw, Map.of());

        Net single = new Net(manager);
        StateDictLoader.loadStrict(single, file, Set.of());
        assertThat(single.stateDict().get("layers.0.bias").getDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(single.stateDict().get("layers.0.bias").toFloatArray()).containsExactly(-1, 0.5f, 0.25f);

        Net half = new Net(manager);
        half.convertTo(DataType.FLOAT16);
        StateDictLoader.loadStrict(half, file, Set.of());
        assertThat(half.stateDict().get("layers.1.weight").getDataType()).isEqualTo(DataType.FLOAT16);
        assertThat(half.stateDict().get("layers.1.weight").toType(DataType.FLOAT32, false).toFloatArray())
                .containsExactly(7, 8, 9, 10, 11, 12);
    }

    @Test
    void ignoredKeysMayBeInTheFile() throws IOException {
        Map<String, NDArray> state = values();
        state.put("layers.0.position_ids", manager.arange(0, 77));
        Path file = dir.resolve("w.safetensors");
        SafetensorsWriter.write(file, state, Map.of());
        Net net = new Net(manager);
        StateDictLoader.loadStrict(net, file, Set.of("layers.0.position_ids"));
        assertThat(net.stateDict()).doesNotContainKey("layers.0.position_ids");
        assertThatThrownBy(() -> StateDictLoader.loadStrict(new Net(manager), file, Set.of()))
                .isInstanceOfSatisfying(StateDictMismatchException.class,
                        e -> assertThat(e.unexpected()).containsExactly("layers.0.position_ids"));
    }

    @Test
    void listsEveryProblemNamesFileAndModuleAndChangesNothing() throws IOException {
        Map<String, NDArray> state = values();
        state.remove("layers.0.bias");
        state.put("layers.1.weight", manager.zeros(new Shape(3, 3)));
        state.put("layers.2.weight", manager.zeros(new Shape(1)));
        Path file = dir.resolve("bad.safetensors");
        SafetensorsWriter.write(file, state, Map.of());

        Net net = new Net(manager);
        float[] before = net.stateDict().get("layers.0.weight").toFloatArray();
        assertThatThrownBy(() -> StateDictLoader.loadStrict(net, file, Set.of()))
                .isInstanceOfSatisfying(StateDictMismatchException.class, e -> {
                    assertThat(e.missing()).containsExactly("layers.0.bias");
                    assertThat(e.unexpected()).containsExactly("layers.2.weight");
                    assertThat(e.shapeMismatches()).containsExactly("layers.1.weight: expected (2, 3), found (3, 3)");
                    assertThat(e.getMessage()).contains(file.toString()).contains("Net");
                });
        assertThat(net.stateDict().get("layers.0.weight").toFloatArray()).containsExactly(before);
    }

    @Test
    void loadedWeightsOutliveTheFileAndKeepTheirManager() throws IOException {
        Path file = dir.resolve("w.safetensors");
        SafetensorsWriter.write(file, values(), Map.of());
        Net net = new Net(manager);
        try (SafetensorsFile weights = SafetensorsFile.open(file)) {
            StateDictLoader.loadStrict(net, weights, Set.of());
        }
        net.stateDict().values().forEach(a -> assertThat(a.getManager()).isSameAs(manager));
        assertThat(net.stateDict().get("layers.1.weight").toFloatArray()).containsExactly(7, 8, 9, 10, 11, 12);
    }
}
