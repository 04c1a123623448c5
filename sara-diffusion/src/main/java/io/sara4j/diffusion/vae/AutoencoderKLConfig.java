package io.sara4j.diffusion.vae;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.sara4j.core.nn.Activations;
import io.sara4j.diffusion.loading.ConfigJson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code config.json} of a diffusers {@code AutoencoderKL} (the {@code vae/} of a Stable
 * Diffusion folder), with diffusers' defaults (v0.27.2) for absent keys.
 *
 * <p>SD1.x and SD2.x: block_out_channels [128, 256, 512, 512], layers_per_block 2,
 * norm_num_groups 32, latent_channels 4, scaling_factor 0.18215: images (N, 3, H, W) ↔ latents
 * (N, 4, H/8, W/8).
 *
 * @param inChannels image channels read by the encoder ({@code in_channels})
 * @param outChannels image channels written by the decoder ({@code out_channels})
 * @param downBlockTypes one entry per level, all {@code DownEncoderBlock2D} ({@code down_block_types})
 * @param upBlockTypes one entry per level, all {@code UpDecoderBlock2D} ({@code up_block_types})
 * @param blockOutChannels channels per level, highest resolution first ({@code block_out_channels})
 * @param layersPerBlock resnets per encoder block; decoder blocks have one more ({@code layers_per_block})
 * @param actFn activation of the resnets ({@code act_fn})
 * @param latentChannels channels of the latent ({@code latent_channels})
 * @param normNumGroups group count of every group norm; divides every entry of blockOutChannels
 *     ({@code norm_num_groups})
 * @param sampleSize nominal image size, only informative ({@code sample_size}; the first entry
 *     when the file holds a list)
 * @param scalingFactor latents are multiplied by it before the UNet and divided by it before
 *     decoding ({@code scaling_factor})
 * @param latentsMean per-channel latent mean of some later models, or {@code null} ({@code latents_mean})
 * @param latentsStd per-channel latent standard deviation, or {@code null} ({@code latents_std})
 * @param forceUpcast whether pipelines should run this VAE in float32 ({@code force_upcast})
 * @param midBlockAddAttention whether the mid blocks have their attention ({@code mid_block_add_attention}, newer diffusers)
 * @param useQuantConv whether {@code quant_conv} exists ({@code use_quant_conv}, newer diffusers)
 * @param usePostQuantConv whether {@code post_quant_conv} exists ({@code use_post_quant_conv}, newer diffusers)
 */
public record AutoencoderKLConfig(
        int inChannels,
        int outChannels,
        List<String> downBlockTypes,
        List<String> upBlockTypes,
        List<Integer> blockOutChannels,
        int layersPerBlock,
        String actFn,
        int latentChannels,
        int normNumGroups,
        int sampleSize,
        double scalingFactor,
        List<Double> latentsMean,
        List<Double> latentsStd,
        boolean forceUpcast,
        boolean midBlockAddAttention,
        boolean useQuantConv,
        boolean usePostQuantConv) {

    /** Validates every field; errors name the JSON key and the allowed values. */
    public AutoencoderKLConfig {
        downBlockTypes = List.copyOf(downBlockTypes);
        upBlockTypes = List.copyOf(upBlockTypes);
        blockOutChannels = List.copyOf(blockOutChannels);
        latentsMean = latentsMean == null ? null : List.copyOf(latentsMean);
        latentsStd = latentsStd == null ? null : List.copyOf(latentsStd);
        positive("in_channels", inChannels);
        positive("out_channels", outChannels);
        positive("layers_per_block", layersPerBlock);
        positive("latent_channels", latentChannels);
        positive("norm_num_groups", normNumGroups);
        if (blockOutChannels.isEmpty()) {
            throw new IllegalArgumentException("block_out_channels must not be empty");
        }
        for (int i = 0; i < blockOutChannels.size(); i++) {
            int channels = blockOutChannels.get(i);
            if (channels <= 0 || channels % normNumGroups != 0) {
                throw new IllegalArgumentException("block_out_channels[" + i + "]=" + channels
                        + " must be a positive multiple of norm_num_groups=" + normNumGroups);
            }
        }
        levels("down_block_types", downBlockTypes, "DownEncoderBlock2D", blockOutChannels.size());
        levels("up_block_types", upBlockTypes, "UpDecoderBlock2D", blockOutChannels.size());
        Activations.fromConfigName(actFn); // rejects unsupported names with the supported list
        if (!(scalingFactor > 0)) {
            throw new IllegalArgumentException("scaling_factor must be > 0, got " + scalingFactor);
        }
        perChannel("latents_mean", latentsMean, latentChannels);
        perChannel("latents_std", latentsStd, latentChannels);
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be > 0, got " + value);
        }
    }

    private static void levels(String field, List<String> types, String supported, int count) {
        if (types.size() != count) {
            throw new IllegalArgumentException(field + " has " + types.size()
                    + " entries but block_out_channels has " + count + "; one per level is expected");
        }
        for (int i = 0; i < types.size(); i++) {
            if (!supported.equals(types.get(i))) {
                throw new IllegalArgumentException("unsupported value '" + types.get(i) + "' for " + field + "["
                        + i + "] (supported: " + supported + ")");
            }
        }
    }

    private static void perChannel(String field, List<Double> values, int latentChannels) {
        if (values != null && values.size() != latentChannels) {
            throw new IllegalArgumentException(field + " has " + values.size()
                    + " entries, expected one per latent channel (" + latentChannels + ")");
        }
    }

    /**
     * Binds the JSON keys; absent keys take diffusers' defaults. {@code shift_factor} (SD3/Flux
     * latent spaces) is rejected unless absent, null or 0.
     */
    @JsonCreator
    static AutoencoderKLConfig fromJson(
            @JsonProperty("in_channels") Integer inChannels,
            @JsonProperty("out_channels") Integer outChannels,
            @JsonProperty("down_block_types") List<String> downBlockTypes,
            @JsonProperty("up_block_types") List<String> upBlockTypes,
            @JsonProperty("block_out_channels") List<Integer> blockOutChannels,
            @JsonProperty("layers_per_block") Integer layersPerBlock,
            @JsonProperty("act_fn") String actFn,
            @JsonProperty("latent_channels") Integer latentChannels,
            @JsonProperty("norm_num_groups") Integer normNumGroups,
            @JsonProperty("sample_size") JsonNode sampleSize,
            @JsonProperty("scaling_factor") Double scalingFactor,
            @JsonProperty("shift_factor") Double shiftFactor,
            @JsonProperty("latents_mean") List<Double> latentsMean,
            @JsonProperty("latents_std") List<Double> latentsStd,
            @JsonProperty("force_upcast") Boolean forceUpcast,
            @JsonProperty("mid_block_add_attention") Boolean midBlockAddAttention,
            @JsonProperty("use_quant_conv") Boolean useQuantConv,
            @JsonProperty("use_post_quant_conv") Boolean usePostQuantConv) {
        if (shiftFactor != null && shiftFactor != 0.0) {
            throw new IllegalArgumentException("unsupported value " + shiftFactor
                    + " for shift_factor (supported: absent, null or 0, as in Stable Diffusion 1.x/2.x)");
        }
        return new AutoencoderKLConfig(
                inChannels == null ? 3 : inChannels,
                outChannels == null ? 3 : outChannels,
                downBlockTypes == null ? List.of("DownEncoderBlock2D") : downBlockTypes,
                upBlockTypes == null ? List.of("UpDecoderBlock2D") : upBlockTypes,
                blockOutChannels == null ? List.of(64) : blockOutChannels,
                layersPerBlock == null ? 1 : layersPerBlock,
                actFn == null ? "silu" : actFn,
                latentChannels == null ? 4 : latentChannels,
                normNumGroups == null ? 32 : normNumGroups,
                sampleSize(sampleSize),
                scalingFactor == null ? 0.18215 : scalingFactor,
                latentsMean,
                latentsStd,
                forceUpcast == null || forceUpcast,
                midBlockAddAttention == null || midBlockAddAttention,
                useQuantConv == null || useQuantConv,
                usePostQuantConv == null || usePostQuantConv);
    }

    /** {@code sample_size} is an int or an [h, w] list in diffusers configs. */
    private static int sampleSize(JsonNode node) {
        if (node == null || node.isNull()) {
            return 32;
        }
        if (node.isInt()) {
            return node.intValue();
        }
        if (node.isArray() && node.size() > 0 && node.get(0).isInt()) {
            return node.get(0).intValue();
        }
        throw new IllegalArgumentException("sample_size must be an integer or a list of integers, got " + node);
    }

    /** Reads {@code config.json}; errors name the file and the field. */
    public static AutoencoderKLConfig read(Path configJson) throws IOException {
        return ConfigJson.read(configJson, AutoencoderKLConfig.class);
    }

    /** Parses a JSON string; {@code source} names it in errors. */
    public static AutoencoderKLConfig parse(String json, String source) {
        return ConfigJson.parse(json, AutoencoderKLConfig.class, source);
    }

    /**
     * This configuration as the text of a diffusers {@code config.json}: every field under its
     * JSON key, so that {@link #parse} gives an equal record back.
     */
    public String toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("_class_name", "AutoencoderKL");
        json.put("_diffusers_version", "0.27.2");
        json.put("in_channels", inChannels);
        json.put("out_channels", outChannels);
        json.put("down_block_types", downBlockTypes);
        json.put("up_block_types", upBlockTypes);
        json.put("block_out_channels", blockOutChannels);
        json.put("layers_per_block", layersPerBlock);
        json.put("act_fn", actFn);
        json.put("latent_channels", latentChannels);
        json.put("norm_num_groups", normNumGroups);
        json.put("sample_size", sampleSize);
        json.put("scaling_factor", scalingFactor);
        json.put("latents_mean", latentsMean);
        json.put("latents_std", latentsStd);
        json.put("force_upcast", forceUpcast);
        json.put("mid_block_add_attention", midBlockAddAttention);
        json.put("use_quant_conv", useQuantConv);
        json.put("use_post_quant_conv", usePostQuantConv);
        return ConfigJson.write(json);
    }

    /** Number of resolution levels, the length of block_out_channels. */
    public int levels() {
        return blockOutChannels.size();
    }

    /** Image size / latent size: 2^(levels − 1), 8 for Stable Diffusion. */
    public int downsamplingFactor() {
        return 1 << (levels() - 1);
    }

    /** The resnet activation. */
    public Activations activation() {
        return Activations.fromConfigName(actFn);
    }
}
