package io.sara4j.cli.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.sara4j.diffusion.loading.SingleFileOptions;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.unet.UNet2DConditionConfig;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The UNet a benchmark runs and the shape of its inputs: the SD1.5-shaped benchmark UNet
 * (seeded random weights) by default, any {@code config.json} (random weights), or the UNet of a
 * diffusers folder (its own weights). Inputs are latents of {@code latentSize}² and text states of
 * 77 tokens at the UNet's cross-attention width, as Stable Diffusion feeds them.
 *
 * @param config the UNet's configuration
 * @param folder the diffusers folder whose weights to load, or {@code null} for random weights
 * @param latentSize side of the square latents
 * @param source one line naming where the model came from, for the report
 */
public record BenchModel(UNet2DConditionConfig config, Path folder, int latentSize, String source) {

    /**
     * The benchmark UNet of issue 11: SD1.5's layout (three cross-attention levels, one plain)
     * at widths 64, 128, 256, 256, cross-attention 256; 34,966,724 parameters.
     */
    public static final String BENCHMARK_UNET_JSON = """
            {"block_out_channels": [64, 128, 256, 256], "layers_per_block": 2, "cross_attention_dim": 256,
             "attention_head_dim": 8, "in_channels": 4, "out_channels": 4, "sample_size": 32}
            """;
    /** Tokens per prompt in Stable Diffusion's text encoder. */
    public static final int TEXT_LENGTH = 77;
    /** Latent side used when neither the option nor the config gives one. */
    public static final int DEFAULT_LATENT_SIZE = 32;

    /** Checks the fields, naming the bad one. */
    public BenchModel {
        if (latentSize < 1) {
            throw new IllegalArgumentException("--latent-size must be positive, got " + latentSize);
        }
    }

    /**
     * The model chosen by the command's options (at most one of {@code unetConfig} and
     * {@code modelFolder}, which may also be a single-file checkpoint; neither means the benchmark UNet).
     *
     * @param latentSize the latent side, or {@code null} for the config's {@code sample_size} (32 without one)
     * @throws IllegalArgumentException when both are given or a file does not fit
     */
    public static BenchModel choose(Path unetConfig, Path modelFolder, Integer latentSize) throws IOException {
        if (unetConfig != null && modelFolder != null) {
            throw new IllegalArgumentException("give --unet-config or --model, not both");
        }
        UNet2DConditionConfig config;
        String source;
        if (modelFolder != null) {
            config = StableDiffusionPipeline.unetConfigOf(modelFolder, SingleFileOptions.NONE);
            source = "UNet of " + modelFolder.toAbsolutePath().normalize() + " (its weights)";
        } else if (unetConfig != null) {
            config = UNet2DConditionConfig.read(unetConfig);
            source = "config " + unetConfig.toAbsolutePath().normalize() + " (seeded random weights)";
        } else {
            config = UNet2DConditionConfig.parse(BENCHMARK_UNET_JSON);
            source = "benchmark UNet of issue 11 (SD1.5 layout, widths 64,128,256,256; seeded random weights)";
        }
        int side = latentSize != null ? latentSize
                : config.sampleSize().isEmpty() ? DEFAULT_LATENT_SIZE : config.sampleSize().get(0);
        return new BenchModel(config, modelFolder, side, source);
    }

    /** Builds the UNet in {@code manager}: loaded from the folder, or initialised from the engine's seeded generator. */
    public UNet2DConditionModel build(NDManager manager) throws IOException {
        return folder == null ? new UNet2DConditionModel(manager, config)
                : StableDiffusionPipeline.loadUnet(folder, null, SingleFileOptions.NONE, manager, DataType.FLOAT32);
    }

    /** Width of the text states the UNet attends to. */
    public int textWidth() {
        return config.crossAttentionDim().get(0);
    }
}
