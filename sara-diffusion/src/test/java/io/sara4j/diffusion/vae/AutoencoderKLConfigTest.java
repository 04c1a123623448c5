package io.sara4j.diffusion.vae;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class AutoencoderKLConfigTest {
    /** The vae/config.json of Stable Diffusion 1.5, as published. */
    static final String SD15 = """
            {
              "_class_name": "AutoencoderKL",
              "_diffusers_version": "0.6.0",
              "act_fn": "silu",
              "block_out_channels": [128, 256, 512, 512],
              "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
              "in_channels": 3,
              "latent_channels": 4,
              "layers_per_block": 2,
              "norm_num_groups": 32,
              "out_channels": 3,
              "sample_size": 512,
              "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"]
            }
            """;

    @Test
    void readsTheSd15ConfigWithDiffusersDefaults() {
        AutoencoderKLConfig c = AutoencoderKLConfig.parse(SD15, "sd15 vae/config.json");
        assertThat(c.blockOutChannels()).containsExactly(128, 256, 512, 512);
        assertThat(c.layersPerBlock()).isEqualTo(2);
        assertThat(c.normNumGroups()).isEqualTo(32);
        assertThat(c.sampleSize()).isEqualTo(512);
        assertThat(c.scalingFactor()).isEqualTo(0.18215);
        assertThat(c.downsamplingFactor()).isEqualTo(8);
        assertThat(c.forceUpcast()).isTrue();
        assertThat(c.midBlockAddAttention()).isTrue();
        assertThat(c.useQuantConv()).isTrue();
        assertThat(c.latentsMean()).isNull();
    }

    @Test
    void emptyObjectGivesTheDiffusersConstructorDefaults() {
        AutoencoderKLConfig c = AutoencoderKLConfig.parse("{}", "empty");
        assertThat(c.inChannels()).isEqualTo(3);
        assertThat(c.outChannels()).isEqualTo(3);
        assertThat(c.blockOutChannels()).containsExactly(64);
        assertThat(c.downBlockTypes()).containsExactly("DownEncoderBlock2D");
        assertThat(c.layersPerBlock()).isEqualTo(1);
        assertThat(c.latentChannels()).isEqualTo(4);
        assertThat(c.sampleSize()).isEqualTo(32);
        assertThat(c.actFn()).isEqualTo("silu");
    }

    @Test
    void unknownKeysAreIgnoredAndListSampleSizeIsAccepted() {
        AutoencoderKLConfig c = AutoencoderKLConfig.parse(
                "{\"sample_size\": [64, 96], \"some_future_key\": {\"a\": [1, 2]}, \"block_out_channels\": [32]}", "x");
        assertThat(c.sampleSize()).isEqualTo(64);
        assertThat(c.blockOutChannels()).containsExactly(32);
    }

    @Test
    void badValuesNameTheFieldAndTheSource() {
        assertThatThrownBy(() -> AutoencoderKLConfig.parse(
                "{\"block_out_channels\": [8, 12], \"norm_num_groups\": 8,"
                        + " \"down_block_types\": [\"DownEncoderBlock2D\", \"DownEncoderBlock2D\"],"
                        + " \"up_block_types\": [\"UpDecoderBlock2D\", \"UpDecoderBlock2D\"]}", "vae/config.json"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vae/config.json")
                .hasMessageContaining("block_out_channels[1]=12 must be a positive multiple of norm_num_groups=8");
        assertThatThrownBy(() -> AutoencoderKLConfig.parse(
                "{\"down_block_types\": [\"AttnDownEncoderBlock2D\"]}", "c"))
                .hasMessageContaining("unsupported value 'AttnDownEncoderBlock2D' for down_block_types[0]")
                .hasMessageContaining("supported: DownEncoderBlock2D");
        assertThatThrownBy(() -> AutoencoderKLConfig.parse("{\"block_out_channels\": [64, 64]}", "c"))
                .hasMessageContaining("down_block_types has 1 entries but block_out_channels has 2");
        assertThatThrownBy(() -> AutoencoderKLConfig.parse("{\"act_fn\": \"relu6\"}", "c"))
                .hasMessageContaining("unsupported activation 'relu6'");
        assertThatThrownBy(() -> AutoencoderKLConfig.parse("{\"shift_factor\": 0.0609}", "c"))
                .hasMessageContaining("shift_factor");
        assertThatThrownBy(() -> AutoencoderKLConfig.parse("{\"latents_mean\": [0.1, 0.2]}", "c"))
                .hasMessageContaining("latents_mean has 2 entries, expected one per latent channel (4)");
        assertThatThrownBy(() -> AutoencoderKLConfig.parse("{\"layers_per_block\": \"two\"}", "c"))
                .hasMessageStartingWith("c: not a valid AutoencoderKLConfig config");
    }

    @Test
    void listsAreImmutable() {
        AutoencoderKLConfig c = AutoencoderKLConfig.parse(SD15, "sd15");
        assertThatThrownBy(() -> c.blockOutChannels().add(1)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(c.upBlockTypes()).isEqualTo(List.of("UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D",
                "UpDecoderBlock2D"));
    }

    @Test
    void toJsonRoundTrips() {
        String withLatentStats = "{\"block_out_channels\": [8, 16], \"norm_num_groups\": 4,"
                + " \"down_block_types\": [\"DownEncoderBlock2D\", \"DownEncoderBlock2D\"],"
                + " \"up_block_types\": [\"UpDecoderBlock2D\", \"UpDecoderBlock2D\"], \"latent_channels\": 2,"
                + " \"latents_mean\": [0.5, -0.25], \"latents_std\": [1.5, 2.0], \"scaling_factor\": 0.13025,"
                + " \"force_upcast\": false, \"mid_block_add_attention\": false, \"use_quant_conv\": false,"
                + " \"use_post_quant_conv\": false, \"act_fn\": \"gelu\", \"sample_size\": [64, 96]}";
        for (String json : new String[] {SD15, "{}", AutoencoderKLTest.TINY, withLatentStats}) {
            AutoencoderKLConfig c = AutoencoderKLConfig.parse(json, "original");
            assertThat(AutoencoderKLConfig.parse(c.toJson(), "written")).isEqualTo(c);
        }
    }
}
