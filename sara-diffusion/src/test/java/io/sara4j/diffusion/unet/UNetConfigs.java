package io.sara4j.diffusion.unet;

/** config.json texts used by the tests: the real SD1.5 and SD2.1 UNet configs and tiny variants of both. */
final class UNetConfigs {
    private UNetConfigs() {}

    /** runwayml/stable-diffusion-v1-5 unet/config.json as published (an old diffusers writer: few keys). */
    static final String SD15 = """
            {
              "_class_name": "UNet2DConditionModel",
              "_diffusers_version": "0.6.0",
              "act_fn": "silu",
              "attention_head_dim": 8,
              "block_out_channels": [320, 640, 1280, 1280],
              "center_input_sample": false,
              "cross_attention_dim": 768,
              "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
              "downsample_padding": 1,
              "flip_sin_to_cos": true,
              "freq_shift": 0,
              "in_channels": 4,
              "layers_per_block": 2,
              "mid_block_scale_factor": 1,
              "norm_eps": 1e-05,
              "norm_num_groups": 32,
              "out_channels": 4,
              "sample_size": 64,
              "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
            }
            """;

    /** stabilityai/stable-diffusion-2-1 unet/config.json as published. */
    static final String SD21 = """
            {
              "_class_name": "UNet2DConditionModel",
              "_diffusers_version": "0.10.0.dev0",
              "act_fn": "silu",
              "attention_head_dim": [5, 10, 20, 20],
              "block_out_channels": [320, 640, 1280, 1280],
              "center_input_sample": false,
              "cross_attention_dim": 1024,
              "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
              "downsample_padding": 1,
              "dual_cross_attention": false,
              "flip_sin_to_cos": true,
              "freq_shift": 0,
              "in_channels": 4,
              "layers_per_block": 2,
              "mid_block_scale_factor": 1,
              "norm_eps": 1e-05,
              "norm_num_groups": 32,
              "num_class_embeds": null,
              "only_cross_attention": false,
              "out_channels": 4,
              "sample_size": 96,
              "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
              "upcast_attention": true,
              "use_linear_projection": true
            }
            """;

    /** The tiny SD1-style UNet of diffusers' own tests: (32, 64), 2 layers, 8 heads, 32 groups. */
    static final String TINY_SD1 = """
            {
              "block_out_channels": [32, 64],
              "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
              "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
              "cross_attention_dim": 32,
              "attention_head_dim": 8,
              "in_channels": 4,
              "out_channels": 4,
              "layers_per_block": 2,
              "sample_size": 32
            }
            """;

    /** A tiny SD2-style UNet: linear projections, per-level heads, upcast attention, 8 groups, 1 layer. */
    static final String TINY_SD2 = """
            {
              "block_out_channels": [32, 64],
              "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
              "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
              "cross_attention_dim": 32,
              "attention_head_dim": [2, 4],
              "use_linear_projection": true,
              "upcast_attention": true,
              "norm_num_groups": 8,
              "layers_per_block": 1,
              "in_channels": 4,
              "out_channels": 4,
              "sample_size": 16
            }
            """;
}
