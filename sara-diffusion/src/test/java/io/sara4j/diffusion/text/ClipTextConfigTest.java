package io.sara4j.diffusion.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sara4j.core.nn.Activations;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class ClipTextConfigTest {
    /** text_encoder/config.json of Stable Diffusion 2.1 as published (OpenCLIP ViT-H, last layer dropped). */
    static final String SD21 = """
            {
              "_name_or_path": "hf-models/stable-diffusion-v2-768x768/text_encoder",
              "architectures": ["CLIPTextModel"],
              "attention_dropout": 0.0,
              "bos_token_id": 0,
              "dropout": 0.0,
              "eos_token_id": 2,
              "hidden_act": "gelu",
              "hidden_size": 1024,
              "initializer_factor": 1.0,
              "initializer_range": 0.02,
              "intermediate_size": 4096,
              "layer_norm_eps": 1e-05,
              "max_position_embeddings": 77,
              "model_type": "clip_text_model",
              "num_attention_heads": 16,
              "num_hidden_layers": 23,
              "pad_token_id": 1,
              "projection_dim": 512,
              "torch_dtype": "float32",
              "transformers_version": "4.25.0.dev0",
              "vocab_size": 49408
            }
            """;

    @Test
    void readsTheFixtureConfig() throws IOException {
        ClipTextConfig c = ClipTextConfig.read(ClipTextModelTest.FIXTURE.resolve("config.json"));
        assertThat(c.hiddenSize()).isEqualTo(32);
        assertThat(c.intermediateSize()).isEqualTo(37);
        assertThat(c.numHiddenLayers()).isEqualTo(3);
        assertThat(c.numAttentionHeads()).isEqualTo(4);
        assertThat(c.headDim()).isEqualTo(8);
        assertThat(c.vocabSize()).isEqualTo(1000);
        assertThat(c.activation()).isEqualTo(Activations.QUICK_GELU);
        assertThat(c.eosTokenId()).isEqualTo(2);
        assertThat(c.legacyPooling()).isTrue();
    }

    @Test
    void readsTheSd21ConfigWithoutComplaint() {
        ClipTextConfig c = ClipTextConfig.parse(SD21, "sd21 text_encoder/config.json");
        assertThat(c.hiddenSize()).isEqualTo(1024);
        assertThat(c.numHiddenLayers()).isEqualTo(23);
        assertThat(c.activation()).isEqualTo(Activations.GELU);
        assertThat(c.projectionDim()).isEqualTo(512);
        assertThat(c.padTokenId()).isEqualTo(1);
        assertThat(c.bosTokenId()).isEqualTo(0);
    }

    @Test
    void absentKeysTakeTransformersDefaults() {
        ClipTextConfig c = ClipTextConfig.parse("{}", "empty");
        assertThat(c.vocabSize()).isEqualTo(49408);
        assertThat(c.hiddenSize()).isEqualTo(512);
        assertThat(c.intermediateSize()).isEqualTo(2048);
        assertThat(c.numHiddenLayers()).isEqualTo(12);
        assertThat(c.numAttentionHeads()).isEqualTo(8);
        assertThat(c.maxPositionEmbeddings()).isEqualTo(77);
        assertThat(c.hiddenAct()).isEqualTo("quick_gelu");
        assertThat(c.layerNormEps()).isEqualTo(1e-5);
        assertThat(c.bosTokenId()).isEqualTo(49406);
        assertThat(c.eosTokenId()).isEqualTo(49407);
        assertThat(c.legacyPooling()).isFalse();
    }

    @Test
    void invalidValuesNameTheField() {
        assertThatThrownBy(() -> ClipTextConfig.parse("{\"hidden_size\": 30, \"num_attention_heads\": 4}", "cfg"))
                .hasMessage("cfg: num_attention_heads=4 must divide hidden_size=30");
        assertThatThrownBy(() -> ClipTextConfig.parse("{\"hidden_act\": \"relu\"}", "cfg"))
                .hasMessageContaining("unsupported activation 'relu'");
        assertThatThrownBy(() -> ClipTextConfig.parse("{\"model_type\": \"clip\"}", "cfg"))
                .hasMessageContaining("unsupported value 'clip' for model_type (supported: clip_text_model)");
        assertThatThrownBy(() -> ClipTextConfig.parse(
                "{\"architectures\": [\"CLIPTextModelWithProjection\"]}", "cfg"))
                .hasMessageContaining("architectures");
        assertThatThrownBy(() -> ClipTextConfig.parse("{\"attention_dropout\": 0.1}", "cfg"))
                .hasMessageContaining("attention_dropout");
        assertThatThrownBy(() -> ClipTextConfig.parse("{\"num_hidden_layers\": 0}", "cfg"))
                .hasMessageContaining("num_hidden_layers must be > 0, got 0");
    }

    @Test
    void toJsonRoundTrips() throws IOException {
        ClipTextConfig[] configs = {
            ClipTextConfig.parse(SD21, "sd21"),
            ClipTextConfig.parse("{}", "defaults"),
            ClipTextConfig.read(ClipTextModelTest.FIXTURE.resolve("config.json")),
            ClipTextConfig.parse("{\"layer_norm_eps\": 1.2345e-7, \"eos_token_id\": 7,"
                    + " \"hidden_act\": \"gelu_new\"}", "odd"),
        };
        for (ClipTextConfig c : configs) {
            String json = c.toJson();
            assertThat(ClipTextConfig.parse(json, "written")).isEqualTo(c);
            assertThat(json).contains("\"model_type\" : \"clip_text_model\"").contains("CLIPTextModel");
        }
    }
}
