package io.sara4j.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Engines;
import io.sara4j.diffusion.text.ClipTextConfig;
import io.sara4j.diffusion.text.ClipTextModel;
import io.sara4j.diffusion.unet.UNet2DConditionConfig;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import io.sara4j.diffusion.vae.AutoencoderKL;
import io.sara4j.diffusion.vae.AutoencoderKLConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a tiny randomly initialised diffusers folder (8x8 images) for command tests. */
public final class TinyModelFolder {
    private TinyModelFolder() {}

    static final String UNET = """
            {"block_out_channels": [8, 16], "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
             "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "cross_attention_dim": 16,
             "attention_head_dim": 2, "norm_num_groups": 4, "layers_per_block": 1,
             "in_channels": 4, "out_channels": 4, "sample_size": 4}
            """;
    static final String VAE = """
            {"block_out_channels": [8, 8], "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"],
             "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"], "norm_num_groups": 4,
             "layers_per_block": 1, "latent_channels": 4, "scaling_factor": 0.18215}
            """;
    static final String CLIP = """
            {"hidden_size": 16, "intermediate_size": 24, "num_attention_heads": 2, "num_hidden_layers": 1,
             "max_position_embeddings": 77, "vocab_size": 12, "hidden_act": "quick_gelu", "eos_token_id": 2}
            """;

    /**
     * Writes a pixel-space folder (UNet on 8x8 RGB, no VAE, like the bundled model) whose tokenizer
     * knows every letter, so the shapes benchmark's prompts ("stripes style, a red circle on a black
     * background") tokenize.
     */
    static Path writePixel(Path root, long seed) throws IOException {
        Engine engine = Engines.pytorch();
        engine.setRandomSeed((int) seed);
        Files.createDirectories(root.resolve("tokenizer"));
        Files.createDirectories(root.resolve("scheduler"));
        Files.writeString(root.resolve("model_index.json"), """
                {"_class_name": "StableDiffusionPipeline", "scheduler": ["diffusers", "DDIMScheduler"],
                 "text_encoder": ["transformers", "CLIPTextModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
                 "unet": ["diffusers", "UNet2DConditionModel"]}
                """);
        StringBuilder vocab = new StringBuilder("{");
        int id = 0;
        for (char c : "abcdefghijklmnopqrstuvwxyz,".toCharArray()) {
            vocab.append('"').append(c).append("\": ").append(id++).append(", \"").append(c).append("</w>\": ").append(id++).append(", ");
        }
        vocab.append("\"<|startoftext|>\": ").append(id++).append(", \"<|endoftext|>\": ").append(id++).append('}');
        Files.writeString(root.resolve("tokenizer/vocab.json"), vocab.toString());
        Files.writeString(root.resolve("tokenizer/merges.txt"), "#version: 0.2\n");
        Files.writeString(root.resolve("scheduler/scheduler_config.json"), SCHEDULER);
        String clip = CLIP.replace("\"vocab_size\": 12", "\"vocab_size\": " + id).replace("\"eos_token_id\": 2",
                "\"eos_token_id\": " + (id - 1));
        String unet = UNET.replace("\"in_channels\": 4, \"out_channels\": 4, \"sample_size\": 4",
                "\"in_channels\": 3, \"out_channels\": 3, \"sample_size\": 8");
        try (NDManager m = engine.newBaseManager()) {
            new UNet2DConditionModel(m, UNet2DConditionConfig.parse(unet)).save(root.resolve("unet"));
            new ClipTextModel(m, ClipTextConfig.parse(clip, "clip")).save(root.resolve("text_encoder"));
        }
        return root;
    }

    static final String SCHEDULER = """
            {"_class_name": "DDIMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "beta_start": 0.00085, "num_train_timesteps": 1000, "set_alpha_to_one": false,
             "steps_offset": 1, "clip_sample": false}
            """;

    /** Writes the folder under {@code root}; weights drawn from the engine seeded with {@code seed}. */
    public static Path write(Path root, long seed) throws IOException {
        Engine engine = Engines.pytorch();
        engine.setRandomSeed((int) seed);
        Files.createDirectories(root);
        Files.writeString(root.resolve("model_index.json"), """
                {"_class_name": "StableDiffusionPipeline", "scheduler": ["diffusers", "DDIMScheduler"],
                 "text_encoder": ["transformers", "CLIPTextModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
                 "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"]}
                """);
        for (String d : new String[] {"tokenizer", "scheduler"}) {
            Files.createDirectories(root.resolve(d));
        }
        try (NDManager m = engine.newBaseManager()) {
            new UNet2DConditionModel(m, UNet2DConditionConfig.parse(UNET)).save(root.resolve("unet"));
            new AutoencoderKL(m, AutoencoderKLConfig.parse(VAE, "vae")).save(root.resolve("vae"));
            new ClipTextModel(m, ClipTextConfig.parse(CLIP, "clip")).save(root.resolve("text_encoder"));
        }
        // a 12-token byte-level BPE vocabulary: enough for prompts made of these letters
        Files.writeString(root.resolve("tokenizer/vocab.json"), """
                {"a": 0, "c": 1, "d": 2, "e": 3, "r": 4, "a</w>": 5, "d</w>": 6, "re": 7, "red</w>": 8,
                 "ed</w>": 9, "<|startoftext|>": 10, "<|endoftext|>": 11}
                """);
        Files.writeString(root.resolve("tokenizer/merges.txt"), "#version: 0.2\nr e\ne d</w>\nre d</w>\n");
        Files.writeString(root.resolve("scheduler/scheduler_config.json"), SCHEDULER);
        return root;
    }
}
