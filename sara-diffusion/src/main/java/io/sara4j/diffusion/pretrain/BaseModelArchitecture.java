package io.sara4j.diffusion.pretrain;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The shape of a pixel-space Stable Diffusion model built from scratch: a {@code UNet2DConditionModel}
 * on RGB pixels (no VAE) with SD's block types, and a CLIP text model, as diffusers and
 * transformers {@code config.json} text.
 *
 * <p>The first level has no attention ({@code DownBlock2D} / {@code UpBlock2D}) because at full
 * resolution self-attention over every pixel would dominate the step time; every lower level is a
 * {@code CrossAttnDownBlock2D} / {@code CrossAttnUpBlock2D}, and the mid block is
 * {@code UNetMidBlock2DCrossAttn}, as in SD.
 *
 * @param imageSize side of the square images the UNet is trained on
 * @param blockOutChannels channels per UNet level (at least two levels; multiples of normGroups)
 * @param layersPerBlock resnets per down block (up blocks have one more)
 * @param attentionHeadDim SD1's {@code attention_head_dim} (which is the number of heads)
 * @param normGroups group-norm groups
 * @param textWidth CLIP hidden size = the UNet's cross_attention_dim
 * @param textLayers CLIP encoder layers
 * @param textHeads CLIP attention heads
 */
public record BaseModelArchitecture(int imageSize, List<Integer> blockOutChannels, int layersPerBlock,
        int attentionHeadDim, int normGroups, int textWidth, int textLayers, int textHeads) {

    /** The bundled {@code models/shapes-base}. */
    public static final BaseModelArchitecture SHAPES_BASE = new BaseModelArchitecture(32, List.of(32, 64, 64), 1, 4, 8,
            64, 2, 4);

    /** Validates each field, naming it. */
    public BaseModelArchitecture {
        blockOutChannels = List.copyOf(blockOutChannels);
        if (blockOutChannels.size() < 2) {
            throw new IllegalArgumentException("blockOutChannels needs at least 2 levels, found " + blockOutChannels);
        }
        for (int c : blockOutChannels) {
            if (c < 1 || c % normGroups != 0 || c % attentionHeadDim != 0) {
                throw new IllegalArgumentException("blockOutChannels " + blockOutChannels + ": each must be a positive"
                        + " multiple of normGroups " + normGroups + " and attentionHeadDim " + attentionHeadDim);
            }
        }
        int downscale = 1 << (blockOutChannels.size() - 1);
        if (imageSize < downscale || imageSize % downscale != 0) {
            throw new IllegalArgumentException("imageSize " + imageSize + " must be a multiple of " + downscale
                    + " for " + blockOutChannels.size() + " levels");
        }
        if (layersPerBlock < 1 || textLayers < 1 || textHeads < 1 || textWidth % textHeads != 0) {
            throw new IllegalArgumentException("layersPerBlock and textLayers must be >= 1 and textWidth a multiple of"
                    + " textHeads, found " + layersPerBlock + ", " + textLayers + ", " + textWidth + "/" + textHeads);
        }
    }

    /** The diffusers {@code unet/config.json}. */
    public String unetConfigJson() {
        int levels = blockOutChannels.size();
        List<String> down = new ArrayList<>();
        List<String> up = new ArrayList<>();
        for (int i = 0; i < levels; i++) {
            down.add(i == 0 ? "\"DownBlock2D\"" : "\"CrossAttnDownBlock2D\"");
            up.add(0, i == 0 ? "\"UpBlock2D\"" : "\"CrossAttnUpBlock2D\"");
        }
        String channels = blockOutChannels.stream().map(String::valueOf).collect(Collectors.joining(", "));
        return String.format(Locale.ROOT, """
                {
                  "_class_name": "UNet2DConditionModel",
                  "_diffusers_version": "0.27.2",
                  "act_fn": "silu",
                  "attention_head_dim": %d,
                  "block_out_channels": [%s],
                  "center_input_sample": false,
                  "cross_attention_dim": %d,
                  "down_block_types": [%s],
                  "downsample_padding": 1,
                  "flip_sin_to_cos": true,
                  "freq_shift": 0,
                  "in_channels": 3,
                  "layers_per_block": %d,
                  "mid_block_scale_factor": 1,
                  "norm_eps": 1e-05,
                  "norm_num_groups": %d,
                  "out_channels": 3,
                  "sample_size": %d,
                  "up_block_types": [%s]
                }
                """, attentionHeadDim, channels, textWidth, String.join(", ", down), layersPerBlock, normGroups,
                imageSize, String.join(", ", up));
    }

    /** The transformers {@code text_encoder/config.json} for a vocabulary of {@code vocabSize} ids. */
    public String textConfigJson(int vocabSize, int bosId, int eosId) {
        return String.format(Locale.ROOT, """
                {
                  "architectures": ["CLIPTextModel"],
                  "model_type": "clip_text_model",
                  "hidden_act": "quick_gelu",
                  "hidden_size": %d,
                  "intermediate_size": %d,
                  "layer_norm_eps": 1e-05,
                  "max_position_embeddings": 77,
                  "num_attention_heads": %d,
                  "num_hidden_layers": %d,
                  "vocab_size": %d,
                  "bos_token_id": %d,
                  "eos_token_id": %d,
                  "pad_token_id": %d,
                  "torch_dtype": "float32"
                }
                """, textWidth, 4 * textWidth, textHeads, textLayers, vocabSize, bosId, eosId, eosId);
    }

    /**
     * The DDIM scheduler config. Pixels in [−1, 1] use DDPM's linear betas (1e-4 … 0.02, almost no
     * signal left at t = 999) rather than SD's scaled-linear ones made for latents, and clip the
     * predicted image to [−1, 1] while sampling, as diffusers' pixel-space DDPM pipelines do.
     */
    public static String schedulerConfigJson() {
        return """
                {
                  "_class_name": "DDIMScheduler",
                  "_diffusers_version": "0.27.2",
                  "beta_end": 0.02,
                  "beta_schedule": "linear",
                  "beta_start": 0.0001,
                  "clip_sample": true,
                  "clip_sample_range": 1.0,
                  "num_train_timesteps": 1000,
                  "prediction_type": "epsilon",
                  "set_alpha_to_one": false,
                  "steps_offset": 1
                }
                """;
    }
}
