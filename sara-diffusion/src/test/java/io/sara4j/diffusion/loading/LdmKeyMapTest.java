package io.sara4j.diffusion.loading;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sara4j.core.nn.Module;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.FixtureTensors;
import io.sara4j.diffusion.testing.TinyPipelines;
import io.sara4j.diffusion.text.ClipTextConfig;
import io.sara4j.diffusion.text.ClipTextModel;
import io.sara4j.diffusion.unet.UNet2DConditionConfig;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import io.sara4j.diffusion.vae.AutoencoderKL;
import io.sara4j.diffusion.vae.AutoencoderKLConfig;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LdmKeyMapTest extends EngineTestBase {
    /** SD1.x's block structure (4 levels, 2 layers, cross-attention on the first three) at tiny widths. */
    static final String UNET_SD1_SHAPED = """
            {"block_out_channels": [8, 8, 16, 16],
             "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
             "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
             "cross_attention_dim": 32, "attention_head_dim": 2, "norm_num_groups": 4, "layers_per_block": 2,
             "in_channels": 4, "out_channels": 4, "sample_size": 8}
            """;
    /** SD's VAE structure (4 levels, 2 layers) at tiny widths. */
    static final String VAE_SD_SHAPED = """
            {"block_out_channels": [8, 8, 8, 8], "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D",
             "DownEncoderBlock2D", "DownEncoderBlock2D"], "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D",
             "UpDecoderBlock2D", "UpDecoderBlock2D"], "norm_num_groups": 4, "layers_per_block": 2, "latent_channels": 4}
            """;

    /** Every parameter maps to a distinct LDM location and back to itself. */
    private static int assertRoundTrips(Module module, LdmKeyMap map) {
        Set<String> seen = new HashSet<>();
        int n = 0;
        for (String key : module.namedParameters().keySet()) {
            LdmKeyMap.Target t = map.toLdm(key);
            assertThat(t.key()).as(key).startsWith(map.prefix());
            assertThat(seen.add(t.key() + "#" + t.part())).as("%s maps to a location already taken: %s", key, t).isTrue();
            var back = map.fromLdm(t.key());
            if (t.shape() == LdmKeyMap.Shape.THIRD) {
                assertThat(back).as(key).hasSize(3);
                assertThat(back.get(t.part())).as(t.key()).isEqualTo(key);
            } else {
                assertThat(back).as(t.key()).containsExactly(key);
            }
            n++;
        }
        return n;
    }

    @Test
    void everyUNetParameterOfTheTinyModelsRoundTrips() throws Exception {
        for (String json : new String[] {TinyPipelines.UNET_LATENT, UNET_SD1_SHAPED,
                UNET_SD1_SHAPED.replace("\"sample_size\": 8", "\"sample_size\": 8, \"use_linear_projection\": true")}) {
            UNet2DConditionConfig config = UNet2DConditionConfig.parse(json);
            assertThat(assertRoundTrips(new UNet2DConditionModel(manager, config), LdmKeyMap.unet(config))).isPositive();
        }
        UNet2DConditionConfig parity = UNet2DConditionConfig.read(
                FixtureTensors.resource("parity/unet_sd1_tiny").resolve("config.json"));
        assertRoundTrips(new UNet2DConditionModel(manager, parity), LdmKeyMap.unet(parity));
    }

    @Test
    void unetRulesGiveSd1Names() {
        LdmKeyMap map = LdmKeyMap.unet(UNet2DConditionConfig.parse(UNET_SD1_SHAPED));
        String p = "model.diffusion_model.";
        assertThat(map.toLdm("conv_in.weight").key()).isEqualTo(p + "input_blocks.0.0.weight");
        assertThat(map.toLdm("time_embedding.linear_2.bias").key()).isEqualTo(p + "time_embed.2.bias");
        assertThat(map.toLdm("down_blocks.0.resnets.0.norm1.weight").key()).isEqualTo(p + "input_blocks.1.0.in_layers.0.weight");
        assertThat(map.toLdm("down_blocks.0.attentions.1.proj_in.weight").key()).isEqualTo(p + "input_blocks.2.1.proj_in.weight");
        assertThat(map.toLdm("down_blocks.1.resnets.0.conv_shortcut.weight").key())
                .isEqualTo(p + "input_blocks.4.0.skip_connection.weight");
        assertThat(map.toLdm("down_blocks.2.downsamplers.0.conv.weight").key()).isEqualTo(p + "input_blocks.9.0.op.weight");
        assertThat(map.toLdm("down_blocks.3.resnets.1.time_emb_proj.bias").key()).isEqualTo(p + "input_blocks.11.0.emb_layers.1.bias");
        assertThat(map.toLdm("mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight").key())
                .isEqualTo(p + "middle_block.1.transformer_blocks.0.attn2.to_k.weight");
        assertThat(map.toLdm("mid_block.resnets.1.conv2.weight").key()).isEqualTo(p + "middle_block.2.out_layers.3.weight");
        assertThat(map.toLdm("up_blocks.0.resnets.2.norm2.bias").key()).isEqualTo(p + "output_blocks.2.0.out_layers.0.bias");
        assertThat(map.toLdm("up_blocks.0.upsamplers.0.conv.weight").key()).isEqualTo(p + "output_blocks.2.1.conv.weight");
        assertThat(map.toLdm("up_blocks.1.upsamplers.0.conv.weight").key()).isEqualTo(p + "output_blocks.5.2.conv.weight");
        assertThat(map.toLdm("up_blocks.3.attentions.2.proj_out.bias").key()).isEqualTo(p + "output_blocks.11.1.proj_out.bias");
        assertThat(map.toLdm("conv_norm_out.weight").key()).isEqualTo(p + "out.0.weight");
        assertThat(map.toLdm("conv_out.bias").key()).isEqualTo(p + "out.2.bias");
        assertThat(map.fromLdm(p + "output_blocks.8.2.conv.weight")).containsExactly("up_blocks.2.upsamplers.0.conv.weight");
        assertThat(map.fromLdm("first_stage_model.decoder.conv_in.weight")).isEmpty();
        assertThatThrownBy(() -> map.toLdm("class_embedding.weight")).hasMessageContaining("class_embedding.weight");
    }

    @Test
    void everyVaeParameterRoundTripsAndAttentionIsA1x1Conv() throws Exception {
        for (String json : new String[] {TinyPipelines.VAE, VAE_SD_SHAPED}) {
            AutoencoderKLConfig config = AutoencoderKLConfig.parse(json, "vae");
            assertRoundTrips(new AutoencoderKL(manager, config), LdmKeyMap.vae(config));
        }
        LdmKeyMap map = LdmKeyMap.vae(AutoencoderKLConfig.parse(VAE_SD_SHAPED, "vae"));
        String p = "first_stage_model.";
        assertThat(map.toLdm("encoder.down_blocks.1.resnets.1.conv2.weight").key()).isEqualTo(p + "encoder.down.1.block.1.conv2.weight");
        assertThat(map.toLdm("encoder.down_blocks.2.downsamplers.0.conv.bias").key()).isEqualTo(p + "encoder.down.2.downsample.conv.bias");
        assertThat(map.toLdm("decoder.up_blocks.0.resnets.2.conv1.weight").key()).isEqualTo(p + "decoder.up.3.block.2.conv1.weight");
        assertThat(map.toLdm("decoder.up_blocks.2.resnets.0.conv_shortcut.weight").key())
                .isEqualTo(p + "decoder.up.1.block.0.nin_shortcut.weight");
        assertThat(map.toLdm("decoder.up_blocks.1.upsamplers.0.conv.weight").key()).isEqualTo(p + "decoder.up.2.upsample.conv.weight");
        assertThat(map.toLdm("encoder.mid_block.resnets.1.norm1.weight").key()).isEqualTo(p + "encoder.mid.block_2.norm1.weight");
        assertThat(map.toLdm("encoder.conv_norm_out.bias").key()).isEqualTo(p + "encoder.norm_out.bias");
        assertThat(map.toLdm("quant_conv.weight").key()).isEqualTo(p + "quant_conv.weight");
        assertThat(map.toLdm("decoder.mid_block.attentions.0.to_q.weight"))
                .isEqualTo(new LdmKeyMap.Target(p + "decoder.mid.attn_1.q.weight", LdmKeyMap.Shape.CONV_1X1, 0));
        assertThat(map.toLdm("decoder.mid_block.attentions.0.to_out.0.bias"))
                .isEqualTo(new LdmKeyMap.Target(p + "decoder.mid.attn_1.proj_out.bias", LdmKeyMap.Shape.SAME, 0));
        assertThat(map.toLdm("encoder.mid_block.attentions.0.group_norm.weight").key()).isEqualTo(p + "encoder.mid.attn_1.norm.weight");
        assertThat(SingleFileCheckpoint.ldmShape(map.toLdm("decoder.mid_block.attentions.0.to_k.weight"), new long[] {8, 8}))
                .containsExactly(8, 8, 1, 1);
    }

    @Test
    void clipAndOpenClipRoundTripWithTheFusedInProjection() throws Exception {
        ClipTextConfig config = ClipTextConfig.parse(TinyPipelines.CLIP, "clip");
        ClipTextModel clip = new ClipTextModel(manager, config);
        assertRoundTrips(clip, LdmKeyMap.clip());
        assertThat(LdmKeyMap.clip().toLdm("text_model.encoder.layers.1.self_attn.q_proj.weight").key())
                .isEqualTo("cond_stage_model.transformer.text_model.encoder.layers.1.self_attn.q_proj.weight");

        LdmKeyMap open = LdmKeyMap.openClip(config.numHiddenLayers());
        assertRoundTrips(clip, open);
        String p = "cond_stage_model.model.";
        assertThat(open.toLdm("text_model.encoder.layers.1.self_attn.k_proj.weight"))
                .isEqualTo(new LdmKeyMap.Target(p + "transformer.resblocks.1.attn.in_proj_weight", LdmKeyMap.Shape.THIRD, 1));
        assertThat(open.toLdm("text_model.encoder.layers.0.self_attn.v_proj.bias"))
                .isEqualTo(new LdmKeyMap.Target(p + "transformer.resblocks.0.attn.in_proj_bias", LdmKeyMap.Shape.THIRD, 2));
        assertThat(open.fromLdm(p + "transformer.resblocks.0.attn.in_proj_weight")).containsExactly(
                "text_model.encoder.layers.0.self_attn.q_proj.weight", "text_model.encoder.layers.0.self_attn.k_proj.weight",
                "text_model.encoder.layers.0.self_attn.v_proj.weight");
        assertThat(open.toLdm("text_model.encoder.layers.0.mlp.fc1.weight").key()).isEqualTo(p + "transformer.resblocks.0.mlp.c_fc.weight");
        assertThat(open.toLdm("text_model.encoder.layers.0.mlp.fc2.bias").key()).isEqualTo(p + "transformer.resblocks.0.mlp.c_proj.bias");
        assertThat(open.toLdm("text_model.encoder.layers.1.layer_norm2.weight").key()).isEqualTo(p + "transformer.resblocks.1.ln_2.weight");
        assertThat(open.toLdm("text_model.encoder.layers.1.self_attn.out_proj.weight").key())
                .isEqualTo(p + "transformer.resblocks.1.attn.out_proj.weight");
        assertThat(open.toLdm("text_model.embeddings.position_embedding.weight").key()).isEqualTo(p + "positional_embedding");
        assertThat(open.toLdm("text_model.embeddings.token_embedding.weight").key()).isEqualTo(p + "token_embedding.weight");
        assertThat(open.toLdm("text_model.final_layer_norm.bias").key()).isEqualTo(p + "ln_final.bias");
        assertThat(SingleFileCheckpoint.ldmShape(open.toLdm("text_model.encoder.layers.0.self_attn.q_proj.weight"),
                new long[] {32, 32})).containsExactly(96, 32);
    }
}
