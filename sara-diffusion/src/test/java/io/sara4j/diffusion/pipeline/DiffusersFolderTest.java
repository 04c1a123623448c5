package io.sara4j.diffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.nn.Engines;
import io.sara4j.diffusion.testing.FixtureTensors;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.text.ClipTextModel;
import io.sara4j.diffusion.vae.AutoencoderKL;
import io.sara4j.diffusion.vae.AutoencoderKLConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiffusersFolderTest {
    static final String SD15_INDEX = """
            {
              "_class_name": "StableDiffusionPipeline",
              "_diffusers_version": "0.6.0",
              "feature_extractor": ["transformers", "CLIPImageProcessor"],
              "safety_checker": ["stable_diffusion", "StableDiffusionSafetyChecker"],
              "scheduler": ["diffusers", "PNDMScheduler"],
              "text_encoder": ["transformers", "CLIPTextModel"],
              "tokenizer": ["transformers", "CLIPTokenizer"],
              "unet": ["diffusers", "UNet2DConditionModel"],
              "vae": ["diffusers", "AutoencoderKL"],
              "requires_safety_checker": true
            }
            """;

    @TempDir
    Path root;

    /** A layout with placeholder files: enough for open(), which checks presence, not content. */
    static void layout(Path root, String index, String weightsSuffix) throws IOException {
        Files.writeString(root.resolve("model_index.json"), index);
        for (String dir : new String[] {"unet", "vae", "text_encoder", "tokenizer", "scheduler"}) {
            Files.createDirectories(root.resolve(dir));
        }
        Files.writeString(root.resolve("unet/config.json"), "{}");
        Files.writeString(root.resolve("unet/diffusion_pytorch_model" + weightsSuffix), "");
        Files.writeString(root.resolve("vae/config.json"), "{}");
        Files.writeString(root.resolve("vae/diffusion_pytorch_model" + weightsSuffix), "");
        Files.writeString(root.resolve("text_encoder/config.json"), "{}");
        Files.writeString(root.resolve("text_encoder/model" + weightsSuffix), "");
        Files.writeString(root.resolve("tokenizer/vocab.json"), "{}");
        Files.writeString(root.resolve("tokenizer/merges.txt"), "");
        Files.writeString(root.resolve("scheduler/scheduler_config.json"), "{}");
    }

    @Test
    void opensAnSd15LayoutAndSkipsUnusedComponents() throws IOException {
        layout(root, SD15_INDEX, ".safetensors");
        DiffusersFolder f = DiffusersFolder.open(root);
        assertThat(f.pipelineClass()).isEqualTo("StableDiffusionPipeline");
        assertThat(f.components().keySet()).containsExactly("scheduler", "text_encoder", "tokenizer", "unet", "vae");
        assertThat(f.components().get("vae")).isEqualTo(new DiffusersFolder.Component("vae", "diffusers", "AutoencoderKL"));
        assertThat(f.hasVae()).isTrue();
        assertThat(f.vaeDir()).isEqualTo(root.resolve("vae"));
        assertThat(f.unetDir()).isEqualTo(root.resolve("unet"));
        assertThat(f.tokenizerDir()).isEqualTo(root.resolve("tokenizer"));
        assertThat(f.schedulerDir()).isEqualTo(root.resolve("scheduler"));
        assertThat(f.weightsFile("text_encoder")).isEqualTo(root.resolve("text_encoder/model.safetensors"));
        assertThat(f.weightsFile("unet")).isEqualTo(root.resolve("unet/diffusion_pytorch_model.safetensors"));
        assertThat(f.variant()).isEmpty();
        assertThatThrownBy(() -> f.weightsFile("tokenizer")).hasMessageContaining("no weights for component 'tokenizer'");
    }

    @Test
    void loadsTheTextEncoderAndTheVaeByName() throws IOException {
        layout(root, SD15_INDEX, ".safetensors");
        Path clip = FixtureTensors.resource("parity/clip_text_tiny");
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(clip.resolve(f), root.resolve("text_encoder").resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        String vaeConfig = "{\"block_out_channels\": [8], \"norm_num_groups\": 4, \"layers_per_block\": 1}";
        Files.writeString(root.resolve("vae/config.json"), vaeConfig);
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            AutoencoderKL saved = RandomWeights.fill(new AutoencoderKL(m, AutoencoderKLConfig.parse(vaeConfig, "v")), 2);
            SafetensorsWriter.write(root.resolve("vae/diffusion_pytorch_model.safetensors"), saved.stateDict(), Map.of());

            DiffusersFolder folder = DiffusersFolder.open(root);
            ClipTextModel text = folder.loadTextEncoder(m);
            assertThat(text.config().hiddenSize()).isEqualTo(32);
            NDArray ids = m.create(new long[] {0, 5, 999, 1}, new Shape(1, 4));
            assertThat(text.forward(ids).lastHiddenState().getShape()).isEqualTo(new Shape(1, 4, 32));
            AutoencoderKL vae = folder.loadVae(m, DataType.FLOAT32);
            NDArray image = m.randomUniform(-1, 1, new Shape(1, 3, 4, 4));
            assertThat(vae.forward(image, null).toFloatArray()).containsExactly(saved.forward(image, null).toFloatArray());
            assertThat(folder.loadVae(m, DataType.FLOAT16).stateDict().get("quant_conv.weight").getDataType())
                    .isEqualTo(DataType.FLOAT16);
        }
    }

    @Test
    void loadsTheUnetTheTokenizerAndTheSchedulerConfig() throws IOException {
        layout(root, SD15_INDEX, ".safetensors");
        Path tok = FixtureTensors.resource("parity/tokenizer_clip");
        for (String f : new String[] {"vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"}) {
            Files.copy(tok.resolve(f), root.resolve("tokenizer").resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        Files.writeString(root.resolve("scheduler/scheduler_config.json"), """
                {"_class_name": "PNDMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
                 "beta_start": 0.00085, "num_train_timesteps": 1000, "set_alpha_to_one": false,
                 "skip_prk_steps": true, "steps_offset": 1}
                """);
        Path unet = FixtureTensors.resource("parity/unet_sd1_tiny");
        for (String f : new String[] {"config.json", "diffusion_pytorch_model.safetensors"}) {
            Files.copy(unet.resolve(f), root.resolve("unet").resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        DiffusersFolder folder = DiffusersFolder.open(root);
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            assertThat(folder.loadUnet(m).config().crossAttentionDim()).containsOnly(32);
        }
        assertThat(folder.loadTokenizer().encodePadded("a red circle")).hasSize(77);
        assertThat(folder.schedulerConfig().numTrainTimesteps()).isEqualTo(1000);
    }

    @Test
    void theFp16VariantIsUsedWhenAskedFor() throws IOException {
        layout(root, SD15_INDEX, ".fp16.safetensors");
        DiffusersFolder f = DiffusersFolder.open(root, "fp16");
        assertThat(f.weightsFile("vae")).isEqualTo(root.resolve("vae/diffusion_pytorch_model.fp16.safetensors"));
        assertThat(f.variant()).contains("fp16");
    }

    @Test
    void aPixelSpaceModelHasNoVae() throws IOException {
        layout(root, SD15_INDEX.replace("\"vae\": [\"diffusers\", \"AutoencoderKL\"]", "\"vae\": [null, null]"),
                ".safetensors");
        DiffusersFolder f = DiffusersFolder.open(root);
        assertThat(f.hasVae()).isFalse();
        assertThatThrownBy(f::vaeDir).isInstanceOf(IllegalStateException.class).hasMessageContaining("hasVae()");
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            assertThatThrownBy(() -> f.loadVae(m)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("has no VAE (a pixel-space model)");
        }
    }

    @Test
    void everyProblemIsReportedAtOnce() throws IOException {
        layout(root, SD15_INDEX.replace("\"CLIPTextModel\"", "\"T5EncoderModel\""), ".safetensors");
        Files.delete(root.resolve("unet/diffusion_pytorch_model.safetensors"));
        Files.writeString(root.resolve("unet/diffusion_pytorch_model.bin"), "");
        Files.delete(root.resolve("tokenizer/merges.txt"));
        Files.delete(root.resolve("scheduler/scheduler_config.json"));
        Files.delete(root.resolve("vae/config.json"));
        assertThatThrownBy(() -> DiffusersFolder.open(root))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("5 problems")
                .hasMessageContaining("unsupported class 'T5EncoderModel' for 'text_encoder' (supported: CLIPTextModel")
                .hasMessageContaining("pickle files, which sara4j never reads")
                .hasMessageContaining(root.resolve("tokenizer/merges.txt") + ": missing")
                .hasMessageContaining(root.resolve("scheduler/scheduler_config.json") + ": missing")
                .hasMessageContaining(root.resolve("vae/config.json") + ": missing");
    }

    @Test
    void missingIndexOrSubfolderIsExplained() throws IOException {
        assertThatThrownBy(() -> DiffusersFolder.open(root)).hasMessageContaining("model_index.json is missing");
        layout(root, SD15_INDEX, ".safetensors");
        Files.delete(root.resolve("text_encoder/model.safetensors"));
        Files.delete(root.resolve("text_encoder/config.json"));
        Files.delete(root.resolve("text_encoder"));
        assertThatThrownBy(() -> DiffusersFolder.open(root))
                .hasMessageContaining(root.resolve("text_encoder") + ": missing; model_index.json declares"
                        + " text_encoder = CLIPTextModel");
        Files.writeString(root.resolve("model_index.json"), "{\"unet\": [\"diffusers\", \"UNet2DConditionModel\"]}");
        assertThatThrownBy(() -> DiffusersFolder.open(root))
                .hasMessageContaining("declares no 'text_encoder' component")
                .hasMessageContaining("declares no 'scheduler' component");
    }
}
