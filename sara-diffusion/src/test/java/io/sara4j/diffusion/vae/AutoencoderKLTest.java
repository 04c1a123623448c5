package io.sara4j.diffusion.vae;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.GradientCheck;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.testing.Ref64;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AutoencoderKLTest extends EngineTestBase {
    /** block_out_channels [8, 16], layers_per_block 1, norm_num_groups 4, latent_channels 4. */
    static final String TINY = """
            {"_class_name": "AutoencoderKL", "in_channels": 3, "out_channels": 3,
             "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"],
             "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"],
             "block_out_channels": [8, 16], "layers_per_block": 1, "act_fn": "silu",
             "latent_channels": 4, "norm_num_groups": 4, "sample_size": 16}
            """;

    static AutoencoderKLConfig tiny() {
        return AutoencoderKLConfig.parse(TINY, "tiny vae config");
    }

    // ---- expected state dict, written from diffusers' naming rules (not from the Java modules) ----

    private static void conv(Map<String, Shape> out, String p, int in, int o, int k) {
        out.put(p + ".weight", new Shape(o, in, k, k));
        out.put(p + ".bias", new Shape(o));
    }

    private static void norm(Map<String, Shape> out, String p, int c) {
        out.put(p + ".weight", new Shape(c));
        out.put(p + ".bias", new Shape(c));
    }

    private static void resnet(Map<String, Shape> out, String p, int in, int o) {
        norm(out, p + ".norm1", in);
        conv(out, p + ".conv1", in, o, 3);
        norm(out, p + ".norm2", o);
        conv(out, p + ".conv2", o, o, 3);
        if (in != o) {
            conv(out, p + ".conv_shortcut", in, o, 1);
        }
    }

    private static void mid(Map<String, Shape> out, String p, int c) {
        norm(out, p + ".attentions.0.group_norm", c);
        for (String proj : List.of("to_q", "to_k", "to_v", "to_out.0")) {
            out.put(p + ".attentions.0." + proj + ".weight", new Shape(c, c));
            out.put(p + ".attentions.0." + proj + ".bias", new Shape(c));
        }
        resnet(out, p + ".resnets.0", c, c);
        resnet(out, p + ".resnets.1", c, c);
    }

    static Map<String, Shape> expectedKeys(int in, int outCh, List<Integer> ch, int layers, int latent) {
        Map<String, Shape> out = new LinkedHashMap<>();
        int levels = ch.size();
        int last = ch.get(levels - 1);
        conv(out, "encoder.conv_in", in, ch.get(0), 3);
        for (int i = 0; i < levels; i++) {
            int blockIn = i == 0 ? ch.get(0) : ch.get(i - 1);
            for (int j = 0; j < layers; j++) {
                resnet(out, "encoder.down_blocks." + i + ".resnets." + j, j == 0 ? blockIn : ch.get(i), ch.get(i));
            }
            if (i < levels - 1) {
                conv(out, "encoder.down_blocks." + i + ".downsamplers.0.conv", ch.get(i), ch.get(i), 3);
            }
        }
        mid(out, "encoder.mid_block", last);
        norm(out, "encoder.conv_norm_out", last);
        conv(out, "encoder.conv_out", last, 2 * latent, 3);
        conv(out, "decoder.conv_in", latent, last, 3);
        for (int i = 0; i < levels; i++) {
            int blockOut = ch.get(levels - 1 - i);
            int blockIn = i == 0 ? last : ch.get(levels - i);
            for (int j = 0; j < layers + 1; j++) {
                resnet(out, "decoder.up_blocks." + i + ".resnets." + j, j == 0 ? blockIn : blockOut, blockOut);
            }
            if (i < levels - 1) {
                conv(out, "decoder.up_blocks." + i + ".upsamplers.0.conv", blockOut, blockOut, 3);
            }
        }
        mid(out, "decoder.mid_block", last);
        norm(out, "decoder.conv_norm_out", ch.get(0));
        conv(out, "decoder.conv_out", ch.get(0), outCh, 3);
        conv(out, "quant_conv", 2 * latent, 2 * latent, 1);
        conv(out, "post_quant_conv", latent, latent, 1);
        return out;
    }

    private static Map<String, Shape> actualKeys(AutoencoderKL vae) {
        Map<String, Shape> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : vae.namedParameters().entrySet()) {
            out.put(e.getKey(), e.getValue().shape());
        }
        return out;
    }

    @Test
    void everyDiffusersKeyExistsWithItsShape() {
        AutoencoderKL vae = new AutoencoderKL(manager, tiny());
        Map<String, Shape> expected = expectedKeys(3, 3, List.of(8, 16), 1, 4);
        Map<String, Shape> actual = actualKeys(vae);
        assertThat(actual).containsExactlyInAnyOrderEntriesOf(expected);
        // diffusers' decoder registers up_blocks before mid_block: state-dict order follows
        List<String> keys = List.copyOf(actual.keySet());
        assertThat(keys.indexOf("decoder.up_blocks.0.resnets.0.norm1.weight"))
                .isLessThan(keys.indexOf("decoder.mid_block.attentions.0.group_norm.weight"));
        assertThat(keys).contains("encoder.mid_block.attentions.0.to_q.weight",
                "decoder.up_blocks.0.upsamplers.0.conv.weight", "encoder.down_blocks.0.downsamplers.0.conv.weight",
                "encoder.conv_norm_out.weight", "quant_conv.weight");
    }

    @Test
    void threeLevelsWithTwoLayersHaveTheSd1Layout() {
        AutoencoderKLConfig config = AutoencoderKLConfig.parse("""
                {"down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
                 "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"],
                 "block_out_channels": [8, 16, 16], "layers_per_block": 2, "norm_num_groups": 8}
                """, "three-level config");
        AutoencoderKL vae = new AutoencoderKL(manager, config);
        assertThat(actualKeys(vae)).containsExactlyInAnyOrderEntriesOf(expectedKeys(3, 3, List.of(8, 16, 16), 2, 4));
        assertThat(config.downsamplingFactor()).isEqualTo(4);
        NDArray latents = vae.encode(manager.zeros(new Shape(1, 3, 12, 20))).mode();
        assertThat(latents.getShape()).isEqualTo(new Shape(1, 4, 3, 5));
        assertThat(vae.decode(latents).getShape()).isEqualTo(new Shape(1, 3, 12, 20));
    }

    @Test
    void encoderHalvesAndDecoderDoublesPerLevel() {
        AutoencoderKL vae = new AutoencoderKL(manager, tiny());
        DiagonalGaussianDistribution posterior = vae.encode(manager.zeros(new Shape(2, 3, 16, 24)));
        assertThat(posterior.mean().getShape()).isEqualTo(new Shape(2, 4, 8, 12));
        assertThat(posterior.logvar().getShape()).isEqualTo(new Shape(2, 4, 8, 12));
        assertThat(vae.decode(manager.zeros(new Shape(2, 4, 5, 3))).getShape()).isEqualTo(new Shape(2, 3, 10, 6));
    }

    @Test
    void encodeAndDecodeMatchTheFloat64Reference() {
        AutoencoderKL vae = RandomWeights.fill(new AutoencoderKL(manager, tiny()), 11);
        Random random = new Random(5);
        Ref64 image = new Ref64(Tensors.uniform(random, 2 * 3 * 8 * 8, 1.0), 2, 3, 8, 8);
        VaeReference ref = new VaeReference(vae.stateDict(), 4);

        DiagonalGaussianDistribution posterior = vae.encode(image.toNd(manager));
        Ref64 moments = ref.conv("quant_conv", ref.encoder(image, List.of(8, 16), 1), 1, 0);
        NDArray engineMoments = posterior.mean().concat(posterior.logvar(), 1);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(engineMoments), moments.v())).isLessThan(1e-4);

        Ref64 z = new Ref64(Tensors.normal(random, 2 * 4 * 4 * 4), 2, 4, 4, 4);
        NDArray decoded = vae.decode(z.toNd(manager));
        Ref64 expected = ref.decoder(ref.conv("post_quant_conv", z, 1, 0), List.of(8, 16), 1);
        assertThat(decoded.getShape()).isEqualTo(new Shape(2, 3, 8, 8));
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(decoded), expected.v())).isLessThan(1e-4);
    }

    @Test
    void savedFolderLoadsBackAndReproducesOutputsExactly(@TempDir Path dir) throws IOException {
        AutoencoderKL a = RandomWeights.fill(new AutoencoderKL(manager, tiny()), 3);
        Path folder = dir.resolve("vae");
        a.save(folder);
        assertThat(AutoencoderKLConfig.read(folder.resolve("config.json"))).isEqualTo(a.config());
        try (SafetensorsFile file = SafetensorsFile.open(folder.resolve("diffusion_pytorch_model.safetensors"))) {
            assertThat(file.metadata()).containsEntry("format", "pt");
            assertThat(file.names()).containsExactlyInAnyOrderElementsOf(a.namedParameters().keySet());
        }
        AutoencoderKL b = AutoencoderKL.load(folder, manager, DataType.FLOAT32);
        assertThat(b.config()).isEqualTo(a.config());
        NDArray image = manager.randomUniform(-1, 1, new Shape(1, 3, 8, 8));
        NDArray noise = manager.randomNormal(new Shape(1, 4, 4, 4));
        assertThat(b.forward(image, noise).toFloatArray()).containsExactly(a.forward(image, noise).toFloatArray());
    }

    @Test
    void float16WeightsLoadIntoFloat32AndFloat16Compute(@TempDir Path dir) throws IOException {
        AutoencoderKL a = RandomWeights.fill(new AutoencoderKL(manager, tiny()), 8);
        Map<String, NDArray> half = new LinkedHashMap<>();
        a.stateDict().forEach((k, v) -> half.put(k, v.toType(DataType.FLOAT16, false)));
        Files.writeString(dir.resolve("config.json"), TINY);
        SafetensorsWriter.write(dir.resolve("diffusion_pytorch_model.fp16.safetensors"), half, Map.of());

        AutoencoderKL full = AutoencoderKL.load(dir, manager, DataType.FLOAT32);
        String key = "decoder.mid_block.attentions.0.to_out.0.weight";
        assertThat(full.stateDict().get(key).toFloatArray())
                .containsExactly(half.get(key).toType(DataType.FLOAT32, false).toFloatArray());
        AutoencoderKL halfVae = AutoencoderKL.load(dir, manager, DataType.FLOAT16);
        NDArray image = manager.randomUniform(-1, 1, new Shape(1, 3, 8, 8));
        NDArray expected = full.forward(image, null);
        NDArray actual = halfVae.forward(image.toType(DataType.FLOAT16, false), null);
        assertThat(actual.getDataType()).isEqualTo(DataType.FLOAT16);
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(actual), Tensors.toDoubles(expected))).isLessThan(2e-2);
    }

    @Test
    void preDiffusers014AttentionNamesAreRefusedWithTheRenaming(@TempDir Path dir) throws IOException {
        AutoencoderKL a = new AutoencoderKL(manager, tiny());
        Map<String, NDArray> state = new LinkedHashMap<>();
        a.stateDict().forEach((k, v) -> state.put(k.replace("attentions.0.to_q.", "attentions.0.query.")
                .replace("attentions.0.to_out.0.", "attentions.0.proj_attn."), v));
        Files.writeString(dir.resolve("config.json"), TINY);
        SafetensorsWriter.write(dir.resolve("diffusion_pytorch_model.safetensors"), state, Map.of());
        assertThatThrownBy(() -> AutoencoderKL.load(dir, manager, DataType.FLOAT32))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("diffusion_pytorch_model.safetensors: 8 tensors use the attention names of"
                        + " diffusers < 0.14")
                .hasMessageContaining("query→to_q");
    }

    @Test
    void aCheckpointOfAnotherShapeNamesEveryMismatch(@TempDir Path dir) throws IOException {
        AutoencoderKL wide = new AutoencoderKL(manager, AutoencoderKLConfig.parse(TINY.replace("[8, 16]", "[8, 24]"), "w"));
        SafetensorsWriter.write(dir.resolve("diffusion_pytorch_model.safetensors"), wide.stateDict(), Map.of());
        Files.writeString(dir.resolve("config.json"), TINY);
        assertThatThrownBy(() -> AutoencoderKL.load(dir, manager, DataType.FLOAT32))
                .hasMessageContaining("shape mismatches")
                .hasMessageContaining("encoder.mid_block.attentions.0.to_q.weight: expected (16, 16), found (24, 24)");
    }

    @Test
    void gradientsThroughTheSampledLatentReachEncoderAndDecoderWeights() {
        AutoencoderKL vae = new AutoencoderKL(manager, tiny());
        vae.convertTo(DataType.FLOAT64);
        RandomWeights.fill(vae, 13);
        Random random = new Random(6);
        NDArray image = Tensors.float64(manager, Tensors.uniform(random, 3 * 8 * 8, 1.0), new Shape(1, 3, 8, 8));
        NDArray noise = Tensors.float64(manager, Tensors.normal(random, 4 * 4 * 4), new Shape(1, 4, 4, 4));
        String[] keys = {"encoder.conv_in.weight", "encoder.down_blocks.0.downsamplers.0.conv.weight",
            "encoder.mid_block.attentions.0.to_k.weight", "quant_conv.weight", "post_quant_conv.bias",
            "decoder.mid_block.attentions.0.group_norm.weight", "decoder.up_blocks.0.upsamplers.0.conv.weight",
            "decoder.up_blocks.1.resnets.1.conv2.weight"};
        GradientCheck.check(vae, () -> vae.forward(image, noise), keys, 4, 5, 1e-5);
    }

    @Test
    void forwardWithoutNoiseDecodesTheMode() {
        AutoencoderKL vae = RandomWeights.fill(new AutoencoderKL(manager, tiny()), 4);
        NDArray image = manager.randomUniform(-1, 1, new Shape(1, 3, 8, 8));
        NDArray viaMode = vae.decode(vae.encode(image).mode());
        assertThat(vae.forward(image, null).toFloatArray()).containsExactly(viaMode.toFloatArray());
    }

    @Test
    void quantConvsAndMidAttentionFollowTheirConfigSwitches() {
        AutoencoderKLConfig config = AutoencoderKLConfig.parse("""
                {"block_out_channels": [8], "norm_num_groups": 4, "use_quant_conv": false,
                 "use_post_quant_conv": false, "mid_block_add_attention": false}
                """, "switches");
        AutoencoderKL vae = new AutoencoderKL(manager, config);
        assertThat(vae.namedParameters().keySet())
                .noneMatch(k -> k.contains("quant_conv") || k.contains("attentions"))
                .contains("encoder.mid_block.resnets.1.conv2.weight");
        NDArray image = manager.zeros(new Shape(1, 3, 4, 4));
        assertThat(vae.forward(image, null).getShape()).isEqualTo(new Shape(1, 3, 4, 4));
    }
}
