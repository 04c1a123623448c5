package io.sara4j.diffusion.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.nn.StateDictMismatchException;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.FixtureTensors;
import io.sara4j.diffusion.testing.GradientCheck;
import io.sara4j.diffusion.testing.Parity;
import io.sara4j.diffusion.testing.RandomWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClipTextModelTest extends EngineTestBase {
    static final Path FIXTURE = FixtureTensors.resource("parity/clip_text_tiny");

    /** Expected keys of a CLIPTextModel, written from transformers' naming rules. */
    static Map<String, Shape> expectedKeys(ClipTextConfig c) {
        Map<String, Shape> out = new LinkedHashMap<>();
        int d = c.hiddenSize();
        out.put("text_model.embeddings.token_embedding.weight", new Shape(c.vocabSize(), d));
        out.put("text_model.embeddings.position_embedding.weight", new Shape(c.maxPositionEmbeddings(), d));
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "text_model.encoder.layers." + i + ".";
            for (String proj : new String[] {"k_proj", "v_proj", "q_proj", "out_proj"}) {
                out.put(p + "self_attn." + proj + ".weight", new Shape(d, d));
                out.put(p + "self_attn." + proj + ".bias", new Shape(d));
            }
            out.put(p + "layer_norm1.weight", new Shape(d));
            out.put(p + "layer_norm1.bias", new Shape(d));
            out.put(p + "mlp.fc1.weight", new Shape(c.intermediateSize(), d));
            out.put(p + "mlp.fc1.bias", new Shape(c.intermediateSize()));
            out.put(p + "mlp.fc2.weight", new Shape(d, c.intermediateSize()));
            out.put(p + "mlp.fc2.bias", new Shape(d));
            out.put(p + "layer_norm2.weight", new Shape(d));
            out.put(p + "layer_norm2.bias", new Shape(d));
        }
        out.put("text_model.final_layer_norm.weight", new Shape(d));
        out.put("text_model.final_layer_norm.bias", new Shape(d));
        return out;
    }

    private static Map<String, Shape> shapes(Map<String, NDArray> state) {
        Map<String, Shape> out = new LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.getShape()));
        return out;
    }

    @Test
    void keysAndShapesEqualTransformersNamingAndTheCheckpoint() throws IOException {
        ClipTextConfig config = ClipTextConfig.read(FIXTURE.resolve("config.json"));
        ClipTextModel model = new ClipTextModel(manager, config);
        Map<String, Shape> actual = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            actual.put(e.getKey(), e.getValue().shape());
        }
        // same order as torch's state_dict(): module registration order
        assertThat(actual).containsExactlyEntriesOf(expectedKeys(config));
        Map<String, NDArray> checkpoint = FixtureTensors.read(FIXTURE.resolve("model.safetensors"), manager);
        assertThat(actual).containsExactlyInAnyOrderEntriesOf(shapes(checkpoint));
    }

    @Test
    void reproducesTransformersOutputsOnTheTinyFixture() throws IOException {
        ClipTextModel model = new ClipTextModel(manager, ClipTextConfig.read(FIXTURE.resolve("config.json")));
        model.loadStateDict(FixtureTensors.read(FIXTURE.resolve("model.safetensors"), manager), true,
                "model.safetensors");
        Map<String, NDArray> io = FixtureTensors.read(FIXTURE.resolve("io.safetensors"), manager);
        NDArray ids = io.get("in.input_ids");
        ClipTextOutput out = model.forward(ids);

        assertThat(out.hiddenStates()).hasSize(4);
        for (int i = 0; i < 4; i++) {
            Parity.assertClose("hidden_states." + i, out.hiddenStates().get(i), io.get("debug.hidden_states." + i));
        }
        assertThat(model.textModel().pooledPositions(ids)).containsExactly(io.get("debug.pooled_index").toLongArray());
        Parity.assertClose("last_hidden_state", out.lastHiddenState(), io.get("out.last_hidden_state"));
        Parity.assertClose("pooler_output", out.pooledOutput(), io.get("out.pooler_output"));
        Parity.assertClose("penultimate_hidden_state", out.penultimateHiddenState(),
                io.get("out.penultimate_hidden_state"));
        Parity.assertClose("penultimate_final_layer_norm", out.penultimateFinalLayerNorm(),
                io.get("out.penultimate_final_layer_norm"));
    }

    @Test
    void loadReadsTheFixtureFolderUnchangedAndReproducesTheOutputs() throws IOException {
        ClipTextModel model = ClipTextModel.load(FIXTURE, manager, DataType.FLOAT32);
        Map<String, NDArray> io = FixtureTensors.read(FIXTURE.resolve("io.safetensors"), manager);
        ClipTextOutput out = model.forward(io.get("in.input_ids"));
        Parity.assertClose("loaded last_hidden_state", out.lastHiddenState(), io.get("out.last_hidden_state"));
        Parity.assertClose("loaded pooler_output", out.pooledOutput(), io.get("out.pooler_output"));
        Parity.assertClose("loaded penultimate_final_layer_norm", out.penultimateFinalLayerNorm(),
                io.get("out.penultimate_final_layer_norm"));
    }

    @Test
    void float16ComputeStaysCloseToTheReference() throws IOException {
        ClipTextModel model = ClipTextModel.load(FIXTURE, manager, DataType.FLOAT16);
        assertThat(model.namedParameters().values()).allMatch(p -> p.dataType() == DataType.FLOAT16);
        Map<String, NDArray> io = FixtureTensors.read(FIXTURE.resolve("io.safetensors"), manager);
        NDArray last = model.forward(io.get("in.input_ids")).lastHiddenState();
        assertThat(last.getDataType()).isEqualTo(DataType.FLOAT16);
        double err = Tensors.maxRelativeError(Tensors.toDoubles(last), Tensors.toDoubles(io.get("out.last_hidden_state")));
        assertThat(err).isLessThan(1e-2);
        assertThatThrownBy(() -> ClipTextModel.load(FIXTURE, manager, DataType.BFLOAT16))
                .hasMessageContaining("unsupported compute type bfloat16");
    }

    @Test
    void legacyPositionIdsBufferIsAcceptedAndEveryKeyProblemIsNamed(@TempDir Path dir) throws IOException {
        Files.copy(FIXTURE.resolve("config.json"), dir.resolve("config.json"));
        Map<String, NDArray> state = new LinkedHashMap<>(FixtureTensors.read(FIXTURE.resolve("model.safetensors"), manager));
        state.put(ClipTextModel.POSITION_IDS_KEY, manager.arange(0, 77, 1, DataType.INT64).reshape(1, 77));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), state, Map.of("format", "pt"));
        ClipTextModel model = ClipTextModel.load(dir, manager, DataType.FLOAT32);
        assertThat(model.stateDict().get("text_model.final_layer_norm.bias").toFloatArray())
                .containsExactly(state.get("text_model.final_layer_norm.bias").toFloatArray());

        state.remove("text_model.encoder.layers.1.mlp.fc2.bias");
        state.put("text_model.text_projection.weight", manager.zeros(new Shape(32, 32)));
        state.put("text_model.final_layer_norm.weight", manager.zeros(new Shape(31)));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), state, Map.of());
        assertThatThrownBy(() -> ClipTextModel.load(dir, manager, DataType.FLOAT32))
                .isInstanceOfSatisfying(StateDictMismatchException.class, e -> {
                    assertThat(e.missing()).containsExactly("text_model.encoder.layers.1.mlp.fc2.bias");
                    assertThat(e.unexpected()).containsExactly("text_model.text_projection.weight");
                    assertThat(e.shapeMismatches()).containsExactly(
                            "text_model.final_layer_norm.weight: expected (32), found (31)");
                })
                .hasMessageContaining(dir.resolve("model.safetensors").toString());
    }

    @Test
    void aFolderWithOnlyAnFp16VariantLoads(@TempDir Path dir) throws IOException {
        Files.copy(FIXTURE.resolve("config.json"), dir.resolve("config.json"));
        Map<String, NDArray> half = new LinkedHashMap<>();
        FixtureTensors.read(FIXTURE.resolve("model.safetensors"), manager)
                .forEach((k, v) -> half.put(k, v.toType(DataType.FLOAT16, false)));
        SafetensorsWriter.write(dir.resolve("model.fp16.safetensors"), half, Map.of());
        ClipTextModel model = ClipTextModel.load(dir, manager, DataType.FLOAT32);
        NDArray w = model.stateDict().get("text_model.encoder.layers.0.mlp.fc1.weight");
        assertThat(w.getDataType()).isEqualTo(DataType.FLOAT32);
        assertThat(w.toFloatArray()).containsExactly(
                half.get("text_model.encoder.layers.0.mlp.fc1.weight").toType(DataType.FLOAT32, false).toFloatArray());
    }

    @Test
    void gradientsOfPooledAndPenultimateOutputsReachTheWeights() {
        ClipTextConfig config = ClipTextConfig.parse("""
                {"vocab_size": 20, "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 2,
                 "num_attention_heads": 2, "max_position_embeddings": 6, "eos_token_id": 2}
                """, "grad");
        ClipTextModel model = new ClipTextModel(manager, config);
        model.convertTo(DataType.FLOAT64);
        RandomWeights.fill(model, 21);
        NDArray ids = manager.create(new long[] {0, 4, 19, 3, 3, 3, 0, 7, 11, 19, 19, 19}, new Shape(2, 6));
        String[] keys = {"text_model.embeddings.token_embedding.weight",
            "text_model.embeddings.position_embedding.weight", "text_model.encoder.layers.0.self_attn.q_proj.weight",
            "text_model.encoder.layers.1.mlp.fc1.weight", "text_model.final_layer_norm.weight"};
        GradientCheck.check(model, () -> {
            ClipTextOutput out = model.forward(ids);
            return out.pooledOutput().concat(out.penultimateFinalLayerNorm().reshape(2, -1), 1);
        }, keys, 6, 3, 1e-6);
    }

    @Test
    void pooledPositionIsTheFirstEosWithAModernEosTokenId() {
        ClipTextConfig config = ClipTextConfig.parse("""
                {"vocab_size": 50, "hidden_size": 8, "intermediate_size": 12, "num_hidden_layers": 1,
                 "num_attention_heads": 2, "max_position_embeddings": 6, "eos_token_id": 7}
                """, "modern");
        ClipTextModel model = new ClipTextModel(manager, config);
        NDArray ids = manager.create(new long[] {3, 9, 7, 7, 40, 1, 3, 40, 2, 1, 1, 1}, new Shape(2, 6));
        assertThat(model.textModel().pooledPositions(ids)).containsExactly(2, 0); // row 2 has no eos: argmax of zeros
        ClipTextOutput out = model.forward(ids);
        assertThat(out.pooledOutput().getShape()).isEqualTo(new Shape(2, 8));
        assertThat(out.pooledOutput().get(0).toFloatArray())
                .containsExactly(out.lastHiddenState().get(0, 2).toFloatArray());

        ClipTextModel legacy = new ClipTextModel(manager, ClipTextConfig.parse(
                "{\"vocab_size\": 50, \"hidden_size\": 8, \"num_attention_heads\": 2, \"num_hidden_layers\": 1,"
                        + " \"eos_token_id\": 2}", "legacy"));
        assertThat(legacy.textModel().pooledPositions(ids)).containsExactly(4, 1); // first highest id
    }

    private static void assertSameOutputs(ClipTextOutput expected, ClipTextOutput actual) {
        assertThat(actual.lastHiddenState().toFloatArray()).containsExactly(expected.lastHiddenState().toFloatArray());
        assertThat(actual.pooledOutput().toFloatArray()).containsExactly(expected.pooledOutput().toFloatArray());
        assertThat(actual.penultimateFinalLayerNorm().toFloatArray())
                .containsExactly(expected.penultimateFinalLayerNorm().toFloatArray());
    }

    @Test
    void saveThenLoadReproducesWeightsAndOutputsExactly(@TempDir Path dir) throws IOException {
        ClipTextModel original = ClipTextModel.load(FIXTURE, manager, DataType.FLOAT32);
        Path folder = dir.resolve("text_encoder");
        original.save(folder);
        assertThat(ClipTextConfig.read(folder.resolve("config.json"))).isEqualTo(original.config());
        try (SafetensorsFile file = SafetensorsFile.open(folder.resolve("model.safetensors"))) {
            assertThat(file.metadata()).containsEntry("format", "pt");
            assertThat(file.names()).containsExactlyInAnyOrderElementsOf(original.namedParameters().keySet())
                    .doesNotContain(ClipTextModel.POSITION_IDS_KEY);
        }

        ClipTextModel loaded = ClipTextModel.load(folder, manager, DataType.FLOAT32);
        assertThat(loaded.config()).isEqualTo(original.config());
        original.stateDict().forEach((key, value) ->
                assertThat(loaded.stateDict().get(key).toFloatArray()).as(key).containsExactly(value.toFloatArray()));
        NDArray ids = FixtureTensors.read(FIXTURE.resolve("io.safetensors"), manager).get("in.input_ids");
        assertSameOutputs(original.forward(ids), loaded.forward(ids));
    }

    @Test
    void sd2StyleTextEncoderWithGeluAndBangPaddingRoundTripsExactly(@TempDir Path dir) throws IOException {
        // SD2.x: gelu, bos 0 / eos 2 (legacy pooling) / pad 1 in config.json, a tokenizer that pads with "!".
        ClipTextConfig config = ClipTextConfig.parse("""
                {"architectures": ["CLIPTextModel"], "model_type": "clip_text_model", "hidden_act": "gelu",
                 "hidden_size": 16, "intermediate_size": 24, "num_attention_heads": 2, "num_hidden_layers": 3,
                 "max_position_embeddings": 77, "vocab_size": 1000, "projection_dim": 16,
                 "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "layer_norm_eps": 1e-05}
                """, "sd2 tiny text_encoder");
        Path tokenizerDir = Files.createDirectory(dir.resolve("tokenizer"));
        for (String name : new String[] {"vocab.json", "merges.txt"}) {
            Files.copy(FixtureTensors.resource("parity/tokenizer_clip").resolve(name), tokenizerDir.resolve(name));
        }
        Files.writeString(tokenizerDir.resolve("special_tokens_map.json"), "{\"pad_token\": \"!\"}");
        ClipTokenizer tokenizer = ClipTokenizer.load(tokenizerDir);
        int bang = tokenizer.tokenId("!");
        assertThat(tokenizer.padId()).isEqualTo(bang).isNotEqualTo(tokenizer.eosId());
        NDArray ids = tokenizer.encodeBatch(manager, List.of("a red circle on a black background", "the cat's hat"));
        assertThat(ids.get(1).toLongArray()[76]).isEqualTo(bang);

        ClipTextModel original = RandomWeights.fill(new ClipTextModel(manager, config), 17);
        Path folder = dir.resolve("text_encoder");
        original.save(folder);
        ClipTextModel loaded = ClipTextModel.load(folder, manager, DataType.FLOAT32);
        assertThat(loaded.config()).isEqualTo(config);
        assertThat(loaded.config().activation()).isEqualTo(Activations.GELU);
        ClipTextOutput expected = original.forward(ids);
        assertSameOutputs(expected, loaded.forward(ids));
        // the pooled row is the end token (the highest id), not the "!" padding after it
        long[] pooled = loaded.textModel().pooledPositions(ids);
        long[] rows = ids.toLongArray();
        for (int b = 0; b < 2; b++) {
            assertThat(rows[b * 77 + (int) pooled[b]]).isEqualTo(tokenizer.eosId());
            assertThat(rows[b * 77 + (int) pooled[b] + 1]).isEqualTo(bang);
        }
    }
}
