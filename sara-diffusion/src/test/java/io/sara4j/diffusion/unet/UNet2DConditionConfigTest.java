package io.sara4j.diffusion.unet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UNet2DConditionConfigTest {

    @Test
    void sd15ConfigTakesDiffusersDefaultsAndReadsHeadsFromAttentionHeadDim() {
        UNet2DConditionConfig c = UNet2DConditionConfig.parse(UNetConfigs.SD15);
        assertThat(c.levels()).isEqualTo(4);
        assertThat(c.sampleSize()).containsExactly(64, 64);
        assertThat(c.crossAttentionDim()).containsExactly(768, 768, 768, 768);
        assertThat(c.layersPerBlock()).containsExactly(2, 2, 2, 2);
        assertThat(c.transformerLayersPerBlock()).containsExactly(1, 1, 1, 1);
        assertThat(c.onlyCrossAttention()).containsExactly(false, false, false, false);
        // the quirk: attention_head_dim 8 means 8 heads, each channels/8 wide
        assertThat(c.numAttentionHeads()).containsExactly(8, 8, 8, 8);
        assertThat(c.attentionHeadWidth(0)).isEqualTo(40);
        assertThat(c.attentionHeadWidth(3)).isEqualTo(160);
        assertThat(c.midBlockType()).isEqualTo("UNetMidBlock2DCrossAttn");
        assertThat(c.useLinearProjection()).isFalse();
        assertThat(c.upcastAttention()).isFalse();
        assertThat(c.timeProjDim()).isEqualTo(320);
        assertThat(c.timeEmbedDim()).isEqualTo(1280);
        assertThat(c.convInKernel()).isEqualTo(3);
        assertThat(c.actFn()).isEqualTo("silu");
    }

    @Test
    void sd21ConfigHasPerLevelHeadsOfWidth64AndLinearProjections() {
        UNet2DConditionConfig c = UNet2DConditionConfig.parse(UNetConfigs.SD21);
        assertThat(c.numAttentionHeads()).containsExactly(5, 10, 20, 20);
        for (int level = 0; level < 4; level++) {
            assertThat(c.attentionHeadWidth(level)).isEqualTo(64);
        }
        assertThat(c.crossAttentionDim()).containsExactly(1024, 1024, 1024, 1024);
        assertThat(c.useLinearProjection()).isTrue();
        assertThat(c.upcastAttention()).isTrue();
        assertThat(c.sampleSize()).containsExactly(96, 96);
    }

    @Test
    void explicitNumAttentionHeadsIsTakenLiterally() {
        UNet2DConditionConfig c = UNet2DConditionConfig.parse(
                "{\"block_out_channels\": [32, 64], \"down_block_types\": [\"CrossAttnDownBlock2D\", \"DownBlock2D\"],"
                        + " \"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\"], \"attention_head_dim\": 16,"
                        + " \"num_attention_heads\": [2, 4]}");
        assertThat(c.numAttentionHeads()).containsExactly(2, 4);
        assertThat(c.attentionHeadDim()).containsExactly(16, 16);
        assertThat(c.attentionHeadWidth(0)).isEqualTo(16);
    }

    @Test
    void everyFieldDefaultsAsInDiffusers() {
        UNet2DConditionConfig c = UNet2DConditionConfig.parse("{}");
        assertThat(c.blockOutChannels()).containsExactly(320, 640, 1280, 1280);
        assertThat(c.downBlockTypes()).containsExactly("CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                "CrossAttnDownBlock2D", "DownBlock2D");
        assertThat(c.upBlockTypes()).containsExactly("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
                "CrossAttnUpBlock2D");
        assertThat(c.crossAttentionDim()).containsOnly(1280);
        assertThat(c.numAttentionHeads()).containsOnly(8);
        assertThat(c.normNumGroups()).isEqualTo(32);
        assertThat(c.normEps()).isEqualTo(1e-5);
        assertThat(c.flipSinToCos()).isTrue();
        assertThat(c.freqShift()).isZero();
        assertThat(c.downsamplePadding()).isEqualTo(1);
        assertThat(c.sampleSize()).isEmpty();
        assertThat(c.inChannels()).isEqualTo(4);
        assertThat(c.outChannels()).isEqualTo(4);
    }

    @Test
    void parsesTheParityFixtureConfigWithAllItsNullKeys() throws Exception {
        UNet2DConditionConfig c = UNet2DConditionConfig.read(
                Path.of("src/test/resources/parity/unet_sd1_tiny/config.json"));
        assertThat(c.blockOutChannels()).containsExactly(16, 32);
        assertThat(c.numAttentionHeads()).containsExactly(4, 4);
        assertThat(c.normNumGroups()).isEqualTo(8);
    }

    @Test
    void unknownKeysAreLoggedNotFatal() {
        UNet2DConditionConfig c = UNet2DConditionConfig.parse(
                "{\"block_out_channels\": [32, 64], \"down_block_types\": [\"CrossAttnDownBlock2D\", \"DownBlock2D\"],"
                        + " \"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\"], \"some_future_key\": {\"a\": [1]},"
                        + " \"resnet_out_scale_factor\": 1.0}");
        assertThat(c.levels()).isEqualTo(2);
    }

    @Test
    void unsupportedValuesNameFieldAndAlternatives() {
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"down_block_types\": [\"CrossAttnDownBlock2D\", "
                + "\"SimpleCrossAttnDownBlock2D\", \"CrossAttnDownBlock2D\", \"DownBlock2D\"]}"))
                .hasMessage("unsupported value SimpleCrossAttnDownBlock2D for `down_block_types` "
                        + "(supported: CrossAttnDownBlock2D, DownBlock2D)");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"class_embed_type\": \"timestep\"}"))
                .hasMessage("unsupported value \"timestep\" for `class_embed_type` (supported: null)");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"addition_embed_type\": \"text_time\"}"))
                .hasMessageContaining("`addition_embed_type` (supported: null)");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"time_embedding_type\": \"fourier\"}"))
                .hasMessage("unsupported value fourier for `time_embedding_type` (supported: positional)");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"resnet_time_scale_shift\": \"scale_shift\"}"))
                .hasMessage("unsupported value scale_shift for `resnet_time_scale_shift` (supported: default)");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"mid_block_type\": \"UNetMidBlock2DSimpleCrossAttn\"}"))
                .hasMessageContaining("for `mid_block_type` (supported: UNetMidBlock2DCrossAttn, null)");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"num_class_embeds\": 10}"))
                .hasMessageContaining("`num_class_embeds`");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"time_cond_proj_dim\": 256}"))
                .hasMessageContaining("`time_cond_proj_dim`");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"encoder_hid_dim\": 768}"))
                .hasMessageContaining("`encoder_hid_dim`");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"dual_cross_attention\": true}"))
                .hasMessageContaining("`dual_cross_attention` (supported: false)");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"act_fn\": \"mish\"}"))
                .hasMessage("unsupported value mish for `act_fn` (supported: silu, swish, gelu)");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"norm_num_groups\": null}"))
                .hasMessageContaining("`norm_num_groups`");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"transformer_layers_per_block\": [[1, 2], 1, 1, 1]}"))
                .hasMessageContaining("`transformer_layers_per_block`");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"_class_name\": \"UNet2DModel\"}"))
                .hasMessageContaining("`_class_name`");
    }

    @Test
    void inconsistentValuesAreRejectedWithTheField() {
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"attention_head_dim\": [5, 10, 20]}"))
                .hasMessageContaining("`attention_head_dim` lists 3 values but `block_out_channels` has 4 levels");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"up_block_types\": [\"UpBlock2D\"]}"))
                .hasMessageContaining("`up_block_types` has 1 entries");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"norm_num_groups\": 24}"))
                .hasMessageContaining("`norm_num_groups` = 24 must divide");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"attention_head_dim\": 3}"))
                .hasMessageContaining("heads at level 0 (3, from `attention_head_dim`) must divide its channels (320)");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"layers_per_block\": \"two\"}"))
                .hasMessageContaining("`layers_per_block`");
        assertThatThrownBy(() -> UNet2DConditionConfig.parse("{\"in_channels\": \"four\"}"))
                .hasMessageContaining("in_channels");
    }

    @Test
    void readNamesTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"act_fn\": \"relu\"}");
        assertThatThrownBy(() -> UNet2DConditionConfig.read(file))
                .hasMessageContaining(file.toString())
                .hasMessageContaining("`act_fn`");
    }

    @Test
    void toJsonRoundTripsTheNormalisedConfig() {
        for (String json : new String[] {UNetConfigs.SD15, UNetConfigs.SD21, UNetConfigs.TINY_SD2}) {
            UNet2DConditionConfig c = UNet2DConditionConfig.parse(json);
            assertThat(UNet2DConditionConfig.parse(c.toJson())).isEqualTo(c);
        }
    }
}
