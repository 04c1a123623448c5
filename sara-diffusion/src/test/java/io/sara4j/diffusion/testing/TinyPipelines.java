package io.sara4j.diffusion.testing;

import ai.djl.ndarray.NDManager;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.scheduler.SchedulerConfig;
import io.sara4j.diffusion.text.ClipTextConfig;
import io.sara4j.diffusion.text.ClipTextModel;
import io.sara4j.diffusion.text.ClipTokenizer;
import io.sara4j.diffusion.unet.UNet2DConditionConfig;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import io.sara4j.diffusion.vae.AutoencoderKL;
import io.sara4j.diffusion.vae.AutoencoderKLConfig;
import java.io.IOException;

/**
 * Tiny randomly initialised Stable Diffusion pipelines (weights from {@link RandomWeights}) for
 * end-to-end tests: a UNet of widths (8, 16) with one cross-attention level, a two-level VAE (so
 * images are twice the latent size), a two-layer CLIP text model and the parity tokenizer.
 */
public final class TinyPipelines {
    /** The UNet of a latent pipeline (4 latent channels, sample size 4). */
    public static final String UNET_LATENT = """
            {"block_out_channels": [8, 16], "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
             "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "cross_attention_dim": 32,
             "attention_head_dim": 2, "norm_num_groups": 4, "layers_per_block": 1,
             "in_channels": 4, "out_channels": 4, "sample_size": 4}
            """;
    /** A two-level VAE: images are twice the latent size. */
    public static final String VAE = """
            {"block_out_channels": [8, 8], "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"],
             "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"], "norm_num_groups": 4,
             "layers_per_block": 1, "latent_channels": 4, "scaling_factor": 0.18215}
            """;
    /** A two-layer CLIP text model of width 32 over the parity tokenizer's 1,000 ids. */
    public static final String CLIP = """
            {"hidden_size": 32, "intermediate_size": 37, "num_attention_heads": 4, "num_hidden_layers": 2,
             "max_position_embeddings": 77, "vocab_size": 1000, "hidden_act": "quick_gelu",
             "layer_norm_eps": 1e-5, "eos_token_id": 2, "bos_token_id": 0, "pad_token_id": 1}
            """;
    /** SD1's DDIM scheduler settings. */
    public static final String SCHEDULER = """
            {"_class_name": "DDIMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "beta_start": 0.00085, "num_train_timesteps": 1000, "set_alpha_to_one": false,
             "steps_offset": 1, "clip_sample": false}
            """;

    private TinyPipelines() {}

    /** A latent pipeline ({@code latent}) or a pixel-space one (UNet on RGB, no VAE). */
    public static StableDiffusionPipeline build(NDManager manager, boolean latent) throws IOException {
        String unetConfig = latent ? UNET_LATENT : UNET_LATENT.replace("\"in_channels\": 4, \"out_channels\": 4",
                "\"in_channels\": 3, \"out_channels\": 3");
        UNet2DConditionModel unet = RandomWeights.fill(new UNet2DConditionModel(manager, UNet2DConditionConfig.parse(unetConfig)), 1);
        AutoencoderKL vae = latent ? RandomWeights.fill(new AutoencoderKL(manager, AutoencoderKLConfig.parse(VAE, "vae")), 2) : null;
        ClipTextModel text = RandomWeights.fill(new ClipTextModel(manager, ClipTextConfig.parse(CLIP, "clip")), 3);
        ClipTokenizer tokenizer = ClipTokenizer.load(FixtureTensors.resource("parity/tokenizer_clip"));
        return new StableDiffusionPipeline(unet, vae, text, tokenizer, SchedulerConfig.fromJson(SCHEDULER));
    }
}
