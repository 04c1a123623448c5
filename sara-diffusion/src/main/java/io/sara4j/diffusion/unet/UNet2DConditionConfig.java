package io.sara4j.diffusion.unet;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sara4j.core.nn.Activations;
import io.sara4j.diffusion.loading.ConfigJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code config.json} of a diffusers {@code UNet2DConditionModel} (diffusers 0.27.2), restricted
 * to what Stable Diffusion 1.x and 2.x use, with every scalar-or-list field normalised to one entry
 * per resolution level.
 *
 * <p>A <em>level</em> is an index into {@link #blockOutChannels()}: down block {@code i} works at
 * level {@code i}, the mid block at the last level, and up block {@code i} at level
 * {@code levels − 1 − i} (the up path walks the levels in reverse). Per-level lists are given in
 * down-block order, as in the JSON.
 *
 * <p>Bind with {@link #read(Path)} or {@link #parse(String)}: JSON names follow diffusers, absent
 * fields take diffusers' defaults, unknown keys are logged and skipped, and values outside the
 * supported subset are rejected with "unsupported value X for `field` (supported: ...)". Settings
 * that diffusers itself ignores for the block types supported here ({@code resnet_out_scale_factor},
 * {@code resnet_skip_time_act}, {@code cross_attention_norm}, {@code mid_block_only_cross_attention},
 * the addition-embedding sizes when {@code addition_embed_type} is null) are accepted and ignored.
 *
 * @param sampleSize (height, width) of the latent the model was trained on; empty when not given
 * @param inChannels channels of the input sample
 * @param outChannels channels of the output sample
 * @param centerInputSample whether the sample is mapped x → 2x − 1 before {@code conv_in}
 * @param flipSinToCos whether the sinusoidal time embedding puts cosines first
 * @param freqShift the {@code downscale_freq_shift} of the sinusoidal time embedding
 * @param downBlockTypes per level: {@code CrossAttnDownBlock2D} or {@code DownBlock2D}
 * @param midBlockType {@code UNetMidBlock2DCrossAttn}, or {@code null} for no mid block
 * @param upBlockTypes per up block (reverse level order): {@code CrossAttnUpBlock2D} or {@code UpBlock2D}
 * @param onlyCrossAttention per level: whether {@code attn1} attends to the text instead of itself
 * @param blockOutChannels per level: channels of the feature maps
 * @param layersPerBlock per level: resnets of the down block (the up block has one more)
 * @param downsamplePadding padding of the stride-2 downsampling convolution (0 pads right/bottom by one first)
 * @param midBlockScaleFactor the mid block resnets' {@code output_scale_factor}
 * @param dropout dropout probability inside the resnets
 * @param actFn activation of resnets, time embedding and output ({@code silu})
 * @param normNumGroups groups of every group norm
 * @param normEps epsilon of the resnet and output group norms
 * @param crossAttentionDim per level: width of the text embeddings attended to
 * @param transformerLayersPerBlock per level: {@code BasicTransformerBlock}s per {@code Transformer2DModel}
 * @param attentionHeadDim per level, as written in the JSON (in SD1/SD2 configs: the number of heads, see
 *     {@link #numAttentionHeads()})
 * @param numAttentionHeads per level: the resolved number of attention heads
 * @param useLinearProjection whether {@code proj_in}/{@code proj_out} are linear layers (SD2) or 1×1 convolutions (SD1)
 * @param upcastAttention whether attention scores are computed in float32 for half-precision inputs (SD2.1)
 * @param timeEmbeddingDim width of the time embedding, or {@code null} for 4 × {@code blockOutChannels[0]}
 * @param convInKernel kernel size of {@code conv_in} (odd)
 * @param convOutKernel kernel size of {@code conv_out} (odd)
 */
public record UNet2DConditionConfig(
        List<Integer> sampleSize,
        int inChannels,
        int outChannels,
        boolean centerInputSample,
        boolean flipSinToCos,
        double freqShift,
        List<String> downBlockTypes,
        String midBlockType,
        List<String> upBlockTypes,
        List<Boolean> onlyCrossAttention,
        List<Integer> blockOutChannels,
        List<Integer> layersPerBlock,
        int downsamplePadding,
        double midBlockScaleFactor,
        double dropout,
        String actFn,
        int normNumGroups,
        double normEps,
        List<Integer> crossAttentionDim,
        List<Integer> transformerLayersPerBlock,
        List<Integer> attentionHeadDim,
        List<Integer> numAttentionHeads,
        boolean useLinearProjection,
        boolean upcastAttention,
        Integer timeEmbeddingDim,
        int convInKernel,
        int convOutKernel) {

    private static final Logger LOG = LoggerFactory.getLogger(UNet2DConditionConfig.class);

    /** Down block type with resnets and transformers. */
    public static final String CROSS_ATTN_DOWN_BLOCK = "CrossAttnDownBlock2D";
    /** Down block type with resnets only. */
    public static final String DOWN_BLOCK = "DownBlock2D";
    /** Up block type with resnets and transformers. */
    public static final String CROSS_ATTN_UP_BLOCK = "CrossAttnUpBlock2D";
    /** Up block type with resnets only. */
    public static final String UP_BLOCK = "UpBlock2D";
    /** The supported mid block type. */
    public static final String CROSS_ATTN_MID_BLOCK = "UNetMidBlock2DCrossAttn";

    private static final Set<String> DOWN_TYPES = Set.of(CROSS_ATTN_DOWN_BLOCK, DOWN_BLOCK);
    private static final Set<String> UP_TYPES = Set.of(CROSS_ATTN_UP_BLOCK, UP_BLOCK);
    private static final List<String> ACT_FNS = List.of("silu", "swish", "gelu");

    /** Normalises the lists to unmodifiable copies and validates every field. */
    public UNet2DConditionConfig {
        sampleSize = sampleSize == null ? List.of() : List.copyOf(sampleSize);
        downBlockTypes = List.copyOf(require(downBlockTypes, "down_block_types"));
        upBlockTypes = List.copyOf(require(upBlockTypes, "up_block_types"));
        onlyCrossAttention = List.copyOf(require(onlyCrossAttention, "only_cross_attention"));
        blockOutChannels = List.copyOf(require(blockOutChannels, "block_out_channels"));
        layersPerBlock = List.copyOf(require(layersPerBlock, "layers_per_block"));
        crossAttentionDim = List.copyOf(require(crossAttentionDim, "cross_attention_dim"));
        transformerLayersPerBlock = List.copyOf(require(transformerLayersPerBlock, "transformer_layers_per_block"));
        attentionHeadDim = List.copyOf(require(attentionHeadDim, "attention_head_dim"));
        numAttentionHeads = List.copyOf(require(numAttentionHeads, "num_attention_heads"));
        actFn = Objects.requireNonNull(actFn, "act_fn").toLowerCase(Locale.ROOT);

        int levels = blockOutChannels.size();
        if (levels == 0) {
            throw new IllegalArgumentException("`block_out_channels` must list at least one level");
        }
        if (sampleSize.size() != 0 && sampleSize.size() != 2) {
            throw new IllegalArgumentException("`sample_size` must be an integer or [height, width], got " + sampleSize);
        }
        checkLength("down_block_types", downBlockTypes, levels);
        checkLength("up_block_types", upBlockTypes, levels);
        checkLength("only_cross_attention", onlyCrossAttention, levels);
        checkLength("layers_per_block", layersPerBlock, levels);
        checkLength("cross_attention_dim", crossAttentionDim, levels);
        checkLength("transformer_layers_per_block", transformerLayersPerBlock, levels);
        checkLength("attention_head_dim", attentionHeadDim, levels);
        checkLength("num_attention_heads", numAttentionHeads, levels);
        for (String type : downBlockTypes) {
            if (!DOWN_TYPES.contains(type)) {
                throw unsupported("down_block_types", type, CROSS_ATTN_DOWN_BLOCK + ", " + DOWN_BLOCK);
            }
        }
        for (String type : upBlockTypes) {
            if (!UP_TYPES.contains(type)) {
                throw unsupported("up_block_types", type, CROSS_ATTN_UP_BLOCK + ", " + UP_BLOCK);
            }
        }
        if (midBlockType != null && !midBlockType.equals(CROSS_ATTN_MID_BLOCK)) {
            throw unsupported("mid_block_type", midBlockType, CROSS_ATTN_MID_BLOCK + ", null");
        }
        if (!ACT_FNS.contains(actFn)) {
            throw unsupported("act_fn", actFn, String.join(", ", ACT_FNS));
        }
        checkPositive("in_channels", inChannels);
        checkPositive("out_channels", outChannels);
        checkPositive("norm_num_groups", normNumGroups);
        checkOddKernel("conv_in_kernel", convInKernel);
        checkOddKernel("conv_out_kernel", convOutKernel);
        if (timeEmbeddingDim != null) {
            checkPositive("time_embedding_dim", timeEmbeddingDim);
        }
        if (downsamplePadding < 0) {
            throw new IllegalArgumentException("`downsample_padding` must be >= 0, got " + downsamplePadding);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("`dropout` must be in [0, 1), got " + dropout);
        }
        if (!(normEps > 0)) {
            throw new IllegalArgumentException("`norm_eps` must be > 0, got " + normEps);
        }
        if (!(midBlockScaleFactor > 0)) {
            throw new IllegalArgumentException("`mid_block_scale_factor` must be > 0, got " + midBlockScaleFactor);
        }
        for (int level = 0; level < levels; level++) {
            int channels = blockOutChannels.get(level);
            checkPositive("block_out_channels[" + level + "]", channels);
            checkPositive("layers_per_block[" + level + "]", layersPerBlock.get(level));
            checkPositive("cross_attention_dim[" + level + "]", crossAttentionDim.get(level));
            checkPositive("transformer_layers_per_block[" + level + "]", transformerLayersPerBlock.get(level));
            checkPositive("num_attention_heads[" + level + "]", numAttentionHeads.get(level));
            if (channels % normNumGroups != 0) {
                throw new IllegalArgumentException("`norm_num_groups` = " + normNumGroups
                        + " must divide every entry of `block_out_channels`, but not " + channels);
            }
            if (hasAttention(level, downBlockTypes, upBlockTypes, midBlockType)
                    && channels % numAttentionHeads.get(level) != 0) {
                throw new IllegalArgumentException("the number of attention heads at level " + level + " ("
                        + numAttentionHeads.get(level) + ", from `" + headsField(attentionHeadDim, numAttentionHeads)
                        + "`) must divide its channels (" + channels + ")");
            }
        }
    }

    private static boolean hasAttention(int level, List<String> down, List<String> up, String mid) {
        int levels = down.size();
        return down.get(level).equals(CROSS_ATTN_DOWN_BLOCK)
                || up.get(levels - 1 - level).equals(CROSS_ATTN_UP_BLOCK)
                || (level == levels - 1 && mid != null);
    }

    private static String headsField(List<Integer> attentionHeadDim, List<Integer> heads) {
        return attentionHeadDim.equals(heads) ? "attention_head_dim" : "num_attention_heads";
    }

    /** Number of resolution levels (entries of {@code block_out_channels}). */
    public int levels() {
        return blockOutChannels.size();
    }

    /** Width of the sinusoidal time projection: {@code block_out_channels[0]}. */
    public int timeProjDim() {
        return blockOutChannels.get(0);
    }

    /** Width of the time embedding fed to every resnet: {@code time_embedding_dim} or 4 × {@code block_out_channels[0]}. */
    public int timeEmbedDim() {
        return timeEmbeddingDim != null ? timeEmbeddingDim : 4 * blockOutChannels.get(0);
    }

    /** Width of one attention head at {@code level}: channels / heads. */
    public int attentionHeadWidth(int level) {
        return blockOutChannels.get(level) / numAttentionHeads.get(level);
    }

    /** The activation named by {@code act_fn}. */
    public Activations activation() {
        return Activations.fromConfigName(actFn);
    }

    // ---------------------------------------------------------------- JSON binding

    /** Reads and validates a diffusers UNet {@code config.json}; errors name the file and the field. */
    public static UNet2DConditionConfig read(Path configJson) throws IOException {
        String text;
        try {
            text = Files.readString(configJson);
        } catch (IOException e) {
            throw new IOException("cannot read UNet config " + configJson + ": " + e.getMessage(), e);
        }
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(configJson + ": " + e.getMessage(), e);
        }
    }

    /** Parses and validates the JSON text of a diffusers UNet config. */
    public static UNet2DConditionConfig parse(String json) {
        try {
            return MAPPER.readValue(json, UNet2DConditionConfig.class);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException("invalid UNet config: " + e.getOriginalMessage(), e);
        } catch (JsonMappingException e) {
            String field = e.getPath().stream()
                    .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                    .collect(Collectors.joining("."));
            throw new IllegalArgumentException("invalid value for `" + field + "`: " + e.getOriginalMessage(), e);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid UNet config JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** This configuration as diffusers {@code config.json} text (normalised lists written in full). */
    public String toJson() {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("_class_name", "UNet2DConditionModel");
        o.put("_diffusers_version", "0.27.2");
        if (!sampleSize.isEmpty()) {
            if (sampleSize.get(0).equals(sampleSize.get(1))) {
                o.put("sample_size", sampleSize.get(0));
            } else {
                o.set("sample_size", MAPPER.valueToTree(sampleSize));
            }
        }
        o.put("in_channels", inChannels);
        o.put("out_channels", outChannels);
        o.put("center_input_sample", centerInputSample);
        o.put("flip_sin_to_cos", flipSinToCos);
        o.put("freq_shift", freqShift);
        o.set("down_block_types", MAPPER.valueToTree(downBlockTypes));
        o.put("mid_block_type", midBlockType);
        o.set("up_block_types", MAPPER.valueToTree(upBlockTypes));
        o.set("only_cross_attention", MAPPER.valueToTree(onlyCrossAttention));
        o.set("block_out_channels", MAPPER.valueToTree(blockOutChannels));
        o.set("layers_per_block", MAPPER.valueToTree(layersPerBlock));
        o.put("downsample_padding", downsamplePadding);
        o.put("mid_block_scale_factor", midBlockScaleFactor);
        o.put("dropout", dropout);
        o.put("act_fn", actFn);
        o.put("norm_num_groups", normNumGroups);
        o.put("norm_eps", normEps);
        o.set("cross_attention_dim", MAPPER.valueToTree(crossAttentionDim));
        o.set("transformer_layers_per_block", MAPPER.valueToTree(transformerLayersPerBlock));
        // Written as diffusers reads it back: the head counts under the quirky name, no num_attention_heads.
        o.set("attention_head_dim", MAPPER.valueToTree(numAttentionHeads));
        o.putNull("num_attention_heads");
        o.put("use_linear_projection", useLinearProjection);
        o.put("upcast_attention", upcastAttention);
        o.put("time_embedding_dim", timeEmbeddingDim);
        o.put("conv_in_kernel", convInKernel);
        o.put("conv_out_kernel", convOutKernel);
        return ConfigJson.write(o);
    }

    /**
     * The JSON creator: applies diffusers' defaults to absent fields, rejects values outside the
     * supported subset, and normalises scalar-or-list fields to one entry per level.
     */
    @JsonCreator
    static UNet2DConditionConfig fromJson(
            @JsonProperty("_class_name") String className,
            @JsonProperty("sample_size") JsonNode sampleSize,
            @JsonProperty("in_channels") Integer inChannels,
            @JsonProperty("out_channels") Integer outChannels,
            @JsonProperty("center_input_sample") Boolean centerInputSample,
            @JsonProperty("flip_sin_to_cos") Boolean flipSinToCos,
            @JsonProperty("freq_shift") Double freqShift,
            @JsonProperty("down_block_types") List<String> downBlockTypes,
            @JsonProperty("mid_block_type") JsonNode midBlockType,
            @JsonProperty("up_block_types") List<String> upBlockTypes,
            @JsonProperty("only_cross_attention") JsonNode onlyCrossAttention,
            @JsonProperty("block_out_channels") List<Integer> blockOutChannels,
            @JsonProperty("layers_per_block") JsonNode layersPerBlock,
            @JsonProperty("downsample_padding") Integer downsamplePadding,
            @JsonProperty("mid_block_scale_factor") Double midBlockScaleFactor,
            @JsonProperty("dropout") Double dropout,
            @JsonProperty("act_fn") String actFn,
            @JsonProperty("norm_num_groups") JsonNode normNumGroups,
            @JsonProperty("norm_eps") Double normEps,
            @JsonProperty("cross_attention_dim") JsonNode crossAttentionDim,
            @JsonProperty("transformer_layers_per_block") JsonNode transformerLayersPerBlock,
            @JsonProperty("reverse_transformer_layers_per_block") JsonNode reverseTransformerLayersPerBlock,
            @JsonProperty("encoder_hid_dim") JsonNode encoderHidDim,
            @JsonProperty("encoder_hid_dim_type") JsonNode encoderHidDimType,
            @JsonProperty("attention_head_dim") JsonNode attentionHeadDim,
            @JsonProperty("num_attention_heads") JsonNode numAttentionHeads,
            @JsonProperty("dual_cross_attention") Boolean dualCrossAttention,
            @JsonProperty("use_linear_projection") Boolean useLinearProjection,
            @JsonProperty("class_embed_type") JsonNode classEmbedType,
            @JsonProperty("addition_embed_type") JsonNode additionEmbedType,
            @JsonProperty("num_class_embeds") JsonNode numClassEmbeds,
            @JsonProperty("upcast_attention") Boolean upcastAttention,
            @JsonProperty("resnet_time_scale_shift") String resnetTimeScaleShift,
            @JsonProperty("time_embedding_type") String timeEmbeddingType,
            @JsonProperty("time_embedding_dim") Integer timeEmbeddingDim,
            @JsonProperty("time_embedding_act_fn") JsonNode timeEmbeddingActFn,
            @JsonProperty("timestep_post_act") JsonNode timestepPostAct,
            @JsonProperty("time_cond_proj_dim") JsonNode timeCondProjDim,
            @JsonProperty("conv_in_kernel") Integer convInKernel,
            @JsonProperty("conv_out_kernel") Integer convOutKernel,
            @JsonProperty("attention_type") String attentionType,
            @JsonProperty("class_embeddings_concat") Boolean classEmbeddingsConcat) {
        if (className != null && !className.equals("UNet2DConditionModel")) {
            throw unsupported("_class_name", className, "UNet2DConditionModel");
        }
        // Settings that add layers or change the conditioning path this port does not implement.
        requireAbsent("reverse_transformer_layers_per_block", reverseTransformerLayersPerBlock);
        requireAbsent("encoder_hid_dim", encoderHidDim);
        requireAbsent("encoder_hid_dim_type", encoderHidDimType);
        requireAbsent("class_embed_type", classEmbedType);
        requireAbsent("addition_embed_type", additionEmbedType);
        requireAbsent("num_class_embeds", numClassEmbeds);
        requireAbsent("time_embedding_act_fn", timeEmbeddingActFn);
        requireAbsent("timestep_post_act", timestepPostAct);
        requireAbsent("time_cond_proj_dim", timeCondProjDim);
        requireValue("dual_cross_attention", dualCrossAttention, false);
        requireValue("class_embeddings_concat", classEmbeddingsConcat, false);
        requireValue("resnet_time_scale_shift", resnetTimeScaleShift, "default");
        requireValue("time_embedding_type", timeEmbeddingType, "positional");
        requireValue("attention_type", attentionType, "default");

        List<Integer> channels = blockOutChannels != null ? blockOutChannels : List.of(320, 640, 1280, 1280);
        int levels = channels.size();
        List<String> down = downBlockTypes != null ? downBlockTypes
                : List.of(CROSS_ATTN_DOWN_BLOCK, CROSS_ATTN_DOWN_BLOCK, CROSS_ATTN_DOWN_BLOCK, DOWN_BLOCK);
        List<String> up = upBlockTypes != null ? upBlockTypes
                : List.of(UP_BLOCK, CROSS_ATTN_UP_BLOCK, CROSS_ATTN_UP_BLOCK, CROSS_ATTN_UP_BLOCK);
        String mid = midBlockType == null ? CROSS_ATTN_MID_BLOCK : midBlockType.isNull() ? null : midBlockType.asText();

        List<Integer> headDims = perLevel("attention_head_dim", attentionHeadDim, levels, 8, INT);
        // The SD1 naming quirk (diffusers issue #2011), resolved here and nowhere else: configs written
        // before diffusers 0.19 put the NUMBER OF HEADS into `attention_head_dim`. When
        // `num_attention_heads` is absent (every SD1.x/SD2.x checkpoint), `attention_head_dim` is the
        // head count, and each head is channels / heads wide (SD1: 8 heads everywhere; SD2: [5, 10, 20,
        // 20] heads of width 64). diffusers 0.27.2 refuses an explicit `num_attention_heads`; this port
        // accepts it with its literal meaning, which the blocks then use the same way.
        List<Integer> heads = numAttentionHeads == null || numAttentionHeads.isNull()
                ? headDims
                : perLevel("num_attention_heads", numAttentionHeads, levels, null, INT);

        return new UNet2DConditionConfig(
                sampleSize(sampleSize),
                orDefault(inChannels, 4),
                orDefault(outChannels, 4),
                orDefault(centerInputSample, false),
                orDefault(flipSinToCos, true),
                orDefault(freqShift, 0.0),
                down,
                mid,
                up,
                perLevel("only_cross_attention", onlyCrossAttention, levels, false, BOOL),
                channels,
                perLevel("layers_per_block", layersPerBlock, levels, 2, INT),
                orDefault(downsamplePadding, 1),
                orDefault(midBlockScaleFactor, 1.0),
                orDefault(dropout, 0.0),
                orDefault(actFn, "silu"),
                normNumGroups(normNumGroups),
                orDefault(normEps, 1e-5),
                perLevel("cross_attention_dim", crossAttentionDim, levels, 1280, INT),
                perLevel("transformer_layers_per_block", transformerLayersPerBlock, levels, 1, INT),
                headDims,
                heads,
                orDefault(useLinearProjection, false),
                orDefault(upcastAttention, false),
                timeEmbeddingDim,
                orDefault(convInKernel, 3),
                orDefault(convOutKernel, 3));
    }

    private static final Function<JsonNode, Integer> INT = node -> {
        if (!node.isIntegralNumber()) {
            throw new IllegalArgumentException("expected an integer, got " + node);
        }
        return node.intValue();
    };

    private static final Function<JsonNode, Boolean> BOOL = node -> {
        if (!node.isBoolean()) {
            throw new IllegalArgumentException("expected true or false, got " + node);
        }
        return node.booleanValue();
    };

    /**
     * One value per level from a scalar (repeated) or a list (one entry per level); {@code null} or
     * JSON null gives the default, or an error when there is none.
     */
    private static <T> List<T> perLevel(String field, JsonNode node, int levels, T defaultValue,
            Function<JsonNode, T> convert) {
        if (node == null || node.isNull()) {
            if (defaultValue == null) {
                throw new IllegalArgumentException("`" + field + "` must be given");
            }
            return Collections.nCopies(levels, defaultValue);
        }
        try {
            if (node.isArray()) {
                if (node.size() != levels) {
                    throw new IllegalArgumentException("`" + field + "` lists " + node.size()
                            + " values but `block_out_channels` has " + levels + " levels");
                }
                List<T> out = new ArrayList<>(levels);
                for (JsonNode item : (ArrayNode) node) {
                    if (item.isArray()) {
                        throw unsupported(field, node, "one value, or one value per level");
                    }
                    out.add(convert.apply(item));
                }
                return out;
            }
            return Collections.nCopies(levels, convert.apply(node));
        } catch (IllegalArgumentException e) {
            if (e.getMessage().contains("`" + field + "`")) {
                throw e;
            }
            throw new IllegalArgumentException("`" + field + "`: " + e.getMessage(), e);
        }
    }

    private static List<Integer> sampleSize(JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (node.isIntegralNumber()) {
            return List.of(node.intValue(), node.intValue());
        }
        if (node.isArray() && node.size() == 2 && node.get(0).isIntegralNumber() && node.get(1).isIntegralNumber()) {
            return List.of(node.get(0).intValue(), node.get(1).intValue());
        }
        throw new IllegalArgumentException("`sample_size` must be an integer or [height, width], got " + node);
    }

    private static int normNumGroups(JsonNode node) {
        if (node == null) {
            return 32;
        }
        if (!node.isIntegralNumber()) {
            // null would drop conv_norm_out and leave the resnets without a group count.
            throw unsupported("norm_num_groups", node, "a positive integer");
        }
        return node.intValue();
    }

    private static void requireAbsent(String field, JsonNode node) {
        if (node != null && !node.isNull()) {
            throw unsupported(field, node, "null");
        }
    }

    private static <T> void requireValue(String field, T value, T supported) {
        if (value != null && !value.equals(supported)) {
            throw unsupported(field, value, String.valueOf(supported));
        }
    }

    private static <T> T orDefault(T value, T defaultValue) {
        return value != null ? value : defaultValue;
    }

    private static <T> List<T> require(List<T> list, String field) {
        if (list == null) {
            throw new IllegalArgumentException("`" + field + "` must be given");
        }
        for (T item : list) {
            if (item == null) {
                throw new IllegalArgumentException("`" + field + "` must not contain null, got " + list);
            }
        }
        return list;
    }

    private static void checkLength(String field, List<?> list, int levels) {
        if (list.size() != levels) {
            throw new IllegalArgumentException("`" + field + "` has " + list.size() + " entries but `block_out_channels` has "
                    + levels + " levels");
        }
    }

    private static void checkPositive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("`" + field + "` must be positive, got " + value);
        }
    }

    private static void checkOddKernel(String field, int value) {
        if (value <= 0 || value % 2 == 0) {
            throw new IllegalArgumentException("`" + field + "` must be a positive odd kernel size, got " + value);
        }
    }

    /** The error for a value outside the supported subset. */
    static IllegalArgumentException unsupported(String field, Object value, String supported) {
        return new IllegalArgumentException(
                "unsupported value " + value + " for `" + field + "` (supported: " + supported + ")");
    }

    /** Keys diffusers writes that have no effect on the supported block types. */
    private static final Set<String> IGNORED = Set.of(
            "_diffusers_version", "_name_or_path", "_use_default_values",
            "resnet_out_scale_factor", "resnet_skip_time_act", "cross_attention_norm",
            "mid_block_only_cross_attention", "addition_time_embed_dim", "addition_embed_type_num_heads",
            "projection_class_embeddings_input_dim");

    private static final ObjectMapper MAPPER = new ObjectMapper().addHandler(new DeserializationProblemHandler() {
        @Override
        public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p,
                JsonDeserializer<?> deserializer, Object beanOrClass, String propertyName) throws IOException {
            if (IGNORED.contains(propertyName)) {
                LOG.debug("UNet config: `{}` has no effect on the supported block types; ignored", propertyName);
            } else {
                LOG.warn("UNet config: unknown key `{}` ignored", propertyName);
            }
            p.skipChildren();
            return true;
        }
    });
}
