package io.sara4j.diffusion.loading;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.io.RawTensor;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.io.TensorInfo;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.nn.StateDictMismatchException;
import io.sara4j.diffusion.text.ClipTextConfig;
import io.sara4j.diffusion.unet.UNet2DConditionConfig;
import io.sara4j.diffusion.vae.AutoencoderKLConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Stable Diffusion checkpoint in the original latent-diffusion single-file layout, as
 * AUTOMATIC1111, ComfyUI and kohya-ss share them: the UNet under {@code model.diffusion_model.},
 * the VAE under {@code first_stage_model.}, and the text encoder under
 * {@code cond_stage_model.transformer.} (SD1.x, CLIP in the transformers layout) or
 * {@code cond_stage_model.model.} (SD2.x, OpenCLIP). Only {@code .safetensors} files are read.
 *
 * <p>This class infers each component's architecture from the tensor shapes ({@link #inferUnet},
 * {@link #inferVae}, {@link #inferText}), loads components strictly through {@link LdmKeyMap}
 * ({@link #load}, which first checks every key and shape of all components so one error names
 * every missing and unexpected key), and writes components back in the layout ({@link #write}).
 * A checkpoint holding only EMA UNet weights ({@code model_ema.diffusion_model…}, dots removed as
 * latent-diffusion's LitEma stores them) is read from those.
 */
public final class SingleFileCheckpoint implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SingleFileCheckpoint.class);
    private static final String EMA_PREFIX = "model_ema.";

    /** Metadata keys under which sara4j stores the component configs it wrote. */
    public static final String META_UNET = "sara4j.unet_config";
    /** See {@link #META_UNET}. */
    public static final String META_VAE = "sara4j.vae_config";
    /** See {@link #META_UNET}. */
    public static final String META_TEXT = "sara4j.text_encoder_config";
    /** See {@link #META_UNET}. */
    public static final String META_SCHEDULER = "sara4j.scheduler_config";

    /** The text-encoder layout, which tells SD1.x from SD2.x. */
    public enum TextLayout {
        /** SD1.x: OpenAI CLIP ViT-L/14 in the transformers layout. */
        CLIP,
        /** SD2.x: OpenCLIP ViT-H/14, penultimate layer. */
        OPEN_CLIP
    }

    /** A model and its key map, one per component. */
    public record Part(Module module, LdmKeyMap map) {}

    private final SafetensorsFile file;
    private final TextLayout textLayout;
    private final boolean emaOnly;

    private SafetensorsFile file() {
        return file;
    }

    private SingleFileCheckpoint(SafetensorsFile file, TextLayout textLayout, boolean emaOnly) {
        this.file = file;
        this.textLayout = textLayout;
        this.emaOnly = emaOnly;
    }

    /** Whether {@code path} names a single file (rather than a diffusers folder). */
    public static boolean isSingleFile(Path path) {
        return Files.isRegularFile(path);
    }

    /**
     * Opens a single-file checkpoint and detects its layout.
     *
     * @throws IllegalArgumentException for a pickle-based file ({@code .ckpt}, {@code .pt}, ...), a
     *     file that is not safetensors, or one without the LDM component prefixes
     */
    public static SingleFileCheckpoint open(Path path) throws IOException {
        String name = path.getFileName().toString();
        if (WeightFiles.isPickle(name)) {
            throw new IllegalArgumentException(path + ": a pickle checkpoint; sara4j never unpickles files because"
                    + " that can run arbitrary code. Convert it to .safetensors once (for example with"
                    + " safetensors.torch.save_file(torch.load(f, weights_only=True)['state_dict'], out))");
        }
        if (!name.toLowerCase(Locale.ROOT).endsWith(".safetensors")) {
            throw new IllegalArgumentException(path + ": not a .safetensors file (single-file checkpoints are read"
                    + " only as safetensors; a model folder needs model_index.json)");
        }
        SafetensorsFile file = SafetensorsFile.open(path);
        try {
            List<String> names = file.names();
            boolean plain = names.stream().anyMatch(n -> n.startsWith(LdmKeyMap.UNET_PREFIX));
            boolean ema = names.stream().anyMatch(n -> n.startsWith(EMA_PREFIX + "diffusion_model"));
            TextLayout layout = names.stream().anyMatch(n -> n.startsWith(LdmKeyMap.OPEN_CLIP_PREFIX))
                    ? TextLayout.OPEN_CLIP
                    : names.stream().anyMatch(n -> n.startsWith(LdmKeyMap.CLIP_PREFIX)) ? TextLayout.CLIP : null;
            if ((!plain && !ema) || layout == null) {
                throw new IllegalArgumentException(path + ": not a Stable Diffusion checkpoint in the latent-diffusion"
                        + " layout: expected keys under " + LdmKeyMap.UNET_PREFIX + " (or model_ema.) and "
                        + LdmKeyMap.CLIP_PREFIX + " or " + LdmKeyMap.OPEN_CLIP_PREFIX + "; found "
                        + names.stream().map(n -> n.contains(".") ? n.substring(0, n.indexOf('.') + 1) : n)
                                .distinct().limit(10).toList());
            }
            if (!plain) {
                LOG.info("{}: no {} keys, using the EMA UNet weights (model_ema.*)", path, LdmKeyMap.UNET_PREFIX);
            }
            return new SingleFileCheckpoint(file, layout, !plain);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** The file. */
    public Path path() {
        return file.path();
    }

    /** The text-encoder layout (SD1.x or SD2.x). */
    public TextLayout textLayout() {
        return textLayout;
    }

    /** Whether the UNet is read from the EMA weights because the plain ones are absent. */
    public boolean emaOnly() {
        return emaOnly;
    }

    /** The file's string metadata. */
    public Map<String, String> metadata() {
        return file.metadata();
    }

    /** The key map of the text encoder for a model of {@code layers} layers. */
    public LdmKeyMap textMap(int layers) {
        return textLayout == TextLayout.CLIP ? LdmKeyMap.clip() : LdmKeyMap.openClip(layers);
    }

    /** The key actually stored for LDM key {@code key} (the EMA alias for an EMA-only UNet). */
    String stored(String key) {
        if (emaOnly && key.startsWith(LdmKeyMap.UNET_PREFIX)) {
            return EMA_PREFIX + key.substring("model.".length()).replace(".", "");
        }
        return key;
    }

    private long[] shape(String key) {
        String s = stored(key);
        return file.contains(s) ? file.info(s).shape() : null;
    }

    private boolean has(String key) {
        return file.contains(stored(key));
    }

    private long dim(String key, int axis) {
        long[] s = shape(key);
        if (s == null) {
            throw new IllegalArgumentException(path() + ": cannot infer the architecture: tensor '" + key
                    + "' is missing");
        }
        return s[axis];
    }

    private static int count(IntFunction<Boolean> present, int from) {
        int i = from;
        while (present.apply(i)) {
            i++;
        }
        return i - from;
    }

    // ------------------------------------------------------------------ inference

    /**
     * The UNet config inferred from the tensors: in/out channels, widths, layers per block and which
     * levels have cross-attention, transformer depth, cross-attention width, linear or convolutional
     * projections. The head layout is not in the tensors; it follows the base model of the layout:
     * 8 heads per level for SD1.x, 64-channel heads for SD2.x. The sample size is 64 (512 px), or
     * 96 (768 px) for SD2.x with v-prediction. Groups of normalisation: 32 (fewer only for widths
     * that 32 does not divide).
     */
    public UNet2DConditionConfig inferUnet(boolean vPrediction) {
        String p = LdmKeyMap.UNET_PREFIX;
        int ch0 = (int) dim(p + "input_blocks.0.0.weight", 0);
        int in = (int) dim(p + "input_blocks.0.0.weight", 1);
        int kernel = (int) dim(p + "input_blocks.0.0.weight", 2);
        int out = (int) dim(p + "out.2.weight", 0);
        int blocks = 1 + count(i -> has(p + "input_blocks." + i + ".0.in_layers.0.weight")
                || has(p + "input_blocks." + i + ".0.op.weight"), 1);
        int levels = 1;
        for (int i = 1; i < blocks; i++) {
            levels += has(p + "input_blocks." + i + ".0.op.weight") ? 1 : 0;
        }
        if (blocks % levels != 0) {
            throw new IllegalArgumentException(path() + ": cannot infer the UNet: " + blocks + " input blocks over "
                    + levels + " levels is not a whole number of layers per level; pass --config");
        }
        int layers = blocks / levels - 1;
        List<Integer> widths = new ArrayList<>();
        List<String> down = new ArrayList<>();
        int transformerDepth = 1;
        int crossDim = 768;
        boolean linear = false;
        for (int i = 0; i < levels; i++) {
            String block = p + "input_blocks." + (1 + i * (layers + 1));
            widths.add((int) dim(block + ".0.out_layers.3.weight", 0));
            boolean cross = has(block + ".1.proj_in.weight");
            down.add(cross ? UNet2DConditionConfig.CROSS_ATTN_DOWN_BLOCK : UNet2DConditionConfig.DOWN_BLOCK);
            if (cross) {
                transformerDepth = count(t -> has(block + ".1.transformer_blocks." + t + ".attn1.to_q.weight"), 0);
                crossDim = (int) dim(block + ".1.transformer_blocks.0.attn2.to_k.weight", 1);
                linear = shape(block + ".1.proj_in.weight").length == 2;
            }
        }
        List<String> up = new ArrayList<>();
        for (int i = levels - 1; i >= 0; i--) {
            up.add(down.get(i).equals(UNet2DConditionConfig.CROSS_ATTN_DOWN_BLOCK)
                    ? UNet2DConditionConfig.CROSS_ATTN_UP_BLOCK : UNet2DConditionConfig.UP_BLOCK);
        }
        List<Integer> heads = widths.stream()
                .map(w -> textLayout == TextLayout.CLIP ? gcd(8, w) : Math.max(1, w / 64)).toList();
        int temb = (int) dim(p + "time_embed.0.weight", 0);
        boolean sd2 = textLayout == TextLayout.OPEN_CLIP;
        String json = "{\"in_channels\": " + in + ", \"out_channels\": " + out
                + ", \"block_out_channels\": " + widths + ", \"layers_per_block\": " + layers
                + ", \"down_block_types\": " + quoted(down) + ", \"up_block_types\": " + quoted(up)
                + ", \"cross_attention_dim\": " + crossDim + ", \"attention_head_dim\": " + heads
                + ", \"transformer_layers_per_block\": " + transformerDepth
                + ", \"use_linear_projection\": " + linear + ", \"conv_in_kernel\": " + kernel
                + ", \"conv_out_kernel\": " + (int) dim(p + "out.2.weight", 2)
                + (temb != 4 * ch0 ? ", \"time_embedding_dim\": " + temb : "")
                + ", \"norm_num_groups\": " + groups(widths)
                + ", \"sample_size\": " + (sd2 && vPrediction ? 96 : 64) + "}";
        return UNet2DConditionConfig.parse(json);
    }

    /** The VAE config inferred from the tensors (widths, layers, latent channels; 32 groups, scaling 0.18215). */
    public AutoencoderKLConfig inferVae() {
        String p = LdmKeyMap.VAE_PREFIX;
        int levels = count(i -> has(p + "encoder.down." + i + ".block.0.conv1.weight"), 0);
        int layers = count(j -> has(p + "encoder.down.0.block." + j + ".conv1.weight"), 0);
        List<Integer> widths = new ArrayList<>();
        for (int i = 0; i < levels; i++) {
            widths.add((int) dim(p + "encoder.down." + i + ".block.0.conv1.weight", 0));
        }
        int latent = (int) dim(p + "decoder.conv_in.weight", 1);
        String json = "{\"in_channels\": " + dim(p + "encoder.conv_in.weight", 1)
                + ", \"out_channels\": " + dim(p + "decoder.conv_out.weight", 0)
                + ", \"block_out_channels\": " + widths + ", \"layers_per_block\": " + layers
                + ", \"down_block_types\": " + quoted(java.util.Collections.nCopies(levels, "DownEncoderBlock2D"))
                + ", \"up_block_types\": " + quoted(java.util.Collections.nCopies(levels, "UpDecoderBlock2D"))
                + ", \"latent_channels\": " + latent + ", \"scaling_factor\": 0.18215"
                + ", \"norm_num_groups\": " + groups(widths)
                + ", \"use_quant_conv\": " + has(p + "quant_conv.weight")
                + ", \"use_post_quant_conv\": " + has(p + "post_quant_conv.weight") + "}";
        return AutoencoderKLConfig.parse(json, path() + " (inferred VAE)");
    }

    /**
     * The text-encoder config inferred from the tensors: SD1.x CLIP (quick_gelu, every layer) or
     * SD2.x OpenCLIP as diffusers converts it (gelu, all layers but the last: the penultimate
     * layer's output is the conditioning). Heads are 64 channels wide.
     */
    public ClipTextConfig inferText() {
        long[] tokens;
        long positions;
        int layers;
        int intermediate;
        String act;
        int projection = 768;
        if (textLayout == TextLayout.CLIP) {
            String p = LdmKeyMap.CLIP_PREFIX + "text_model.";
            tokens = shape(p + "embeddings.token_embedding.weight");
            positions = dim(p + "embeddings.position_embedding.weight", 0);
            layers = count(i -> has(p + "encoder.layers." + i + ".self_attn.q_proj.weight"), 0);
            intermediate = (int) dim(p + "encoder.layers.0.mlp.fc1.weight", 0);
            act = "quick_gelu";
        } else {
            String p = LdmKeyMap.OPEN_CLIP_PREFIX;
            tokens = shape(p + "token_embedding.weight");
            positions = dim(p + "positional_embedding", 0);
            layers = count(i -> has(p + "transformer.resblocks." + i + ".attn.in_proj_weight"), 0) - 1;
            intermediate = (int) dim(p + "transformer.resblocks.0.mlp.c_fc.weight", 0);
            act = "gelu";
            if (has(p + "text_projection")) {
                projection = (int) dim(p + "text_projection", 1);
            }
        }
        if (tokens == null || layers < 1) {
            throw new IllegalArgumentException(path() + ": cannot infer the text encoder (token embedding or layers"
                    + " missing); pass --config");
        }
        int hidden = (int) tokens[1];
        int heads = hidden % 64 == 0 ? hidden / 64 : 1;
        String json = "{\"vocab_size\": " + tokens[0] + ", \"hidden_size\": " + hidden
                + ", \"intermediate_size\": " + intermediate + ", \"projection_dim\": " + projection
                + ", \"num_hidden_layers\": " + layers + ", \"num_attention_heads\": " + heads
                + ", \"max_position_embeddings\": " + positions + ", \"hidden_act\": \"" + act + "\""
                + ", \"layer_norm_eps\": 1e-5, \"bos_token_id\": 0, \"eos_token_id\": 2, \"pad_token_id\": 1}";
        return ClipTextConfig.parse(json, path() + " (inferred text encoder)");
    }

    /** 32 groups of normalisation as in every SD model, or the largest count that divides narrower widths. */
    private static int groups(List<Integer> widths) {
        int g = 32;
        for (int w : widths) {
            g = gcd(g, w);
        }
        return g;
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    private static String quoted(List<String> names) {
        return names.stream().map(s -> "\"" + s + "\"").collect(Collectors.joining(", ", "[", "]"));
    }

    // ------------------------------------------------------------------ loading

    /**
     * Loads every part from the file, strictly: first every parameter's LDM key and shape is checked
     * for all parts, and keys under the parts' prefixes that no parameter claims are collected (apart
     * from tensors that carry no weights of these models: {@code position_ids}, OpenCLIP's
     * {@code text_projection}, {@code logit_scale}, {@code attn_mask} and unused last layers, EMA
     * copies); any problem throws one error naming them all, before anything is copied. Tensors
     * are then copied one at a time, converted to each parameter's type (F16/BF16 → the compute type).
     *
     * @throws StateDictMismatchException listing missing LDM keys (with the parameter they feed),
     *     unexpected keys and shape mismatches
     */
    public void load(List<Part> parts) {
        List<String> missing = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        Set<String> claimed = new HashSet<>();
        for (Part part : parts) {
            for (Map.Entry<String, Parameter> e : part.module().namedParameters().entrySet()) {
                LdmKeyMap.Target t = part.map().toLdm(e.getKey());
                String key = stored(t.key());
                claimed.add(key);
                if (!file.contains(key)) {
                    missing.add(key + " (for " + e.getKey() + ")");
                    continue;
                }
                long[] want = e.getValue().shape().getShape();
                long[] found = file.info(key).shape();
                if (!shapeFits(t, want, found)) {
                    mismatched.add(key + ": expected " + Arrays.toString(ldmShape(t, want)) + " for " + e.getKey()
                            + ", found " + Arrays.toString(found));
                }
            }
        }
        List<String> unexpected = new ArrayList<>();
        List<String> prefixes = parts.stream().map(p -> p.map().prefix()).toList();
        for (String name : file.names()) {
            if (!claimed.contains(name) && prefixes.stream().anyMatch(name::startsWith) && !carriesNoWeights(name, claimed)) {
                unexpected.add(name);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
            throw new StateDictMismatchException(path().toString(), "the single-file layout"
                    + (emaOnly ? " (EMA UNet)" : ""), missing, unexpected, mismatched);
        }
        for (Part part : parts) {
            for (Map.Entry<String, Parameter> e : part.module().namedParameters().entrySet()) {
                LdmKeyMap.Target t = part.map().toLdm(e.getKey());
                Parameter parameter = e.getValue();
                try (NDArray stored = file.load(stored(t.key()), parameter.data().getManager(), parameter.dataType())) {
                    if (t.shape() == LdmKeyMap.Shape.THIRD) {
                        long rows = parameter.shape().get(0);
                        try (NDArray third = stored.get("{}:{}", t.part() * rows, (t.part() + 1) * rows)) {
                            parameter.copyFrom(third);
                        }
                    } else if (!Arrays.equals(stored.getShape().getShape(), parameter.shape().getShape())) {
                        try (NDArray reshaped = stored.reshape(parameter.shape())) {
                            parameter.copyFrom(reshaped);
                        }
                    } else {
                        parameter.copyFrom(stored);
                    }
                }
            }
        }
        LOG.info("loaded {} parts from {}{}", parts.size(), path(), emaOnly ? " (EMA UNet weights)" : "");
    }

    private static boolean shapeFits(LdmKeyMap.Target t, long[] want, long[] found) {
        if (t.shape() == LdmKeyMap.Shape.CONV_1X1) {
            return Arrays.equals(found, ldmShape(t, want)) || Arrays.equals(found, want);
        }
        return Arrays.equals(found, ldmShape(t, want));
    }

    /** The shape LDM stores for a diffusers parameter of shape {@code want}. */
    static long[] ldmShape(LdmKeyMap.Target t, long[] want) {
        return switch (t.shape()) {
            case SAME -> want;
            case CONV_1X1 -> new long[] {want[0], want[1], 1, 1};
            case THIRD -> {
                long[] s = want.clone();
                s[0] *= 3;
                yield s;
            }
        };
    }

    /** Tensors under the component prefixes that hold no weights of the models sara4j builds. */
    private static boolean carriesNoWeights(String name, Set<String> claimed) {
        if (name.startsWith(EMA_PREFIX) || name.endsWith(".position_ids")) {
            return true;
        }
        if (name.startsWith(LdmKeyMap.OPEN_CLIP_PREFIX)) {
            String local = name.substring(LdmKeyMap.OPEN_CLIP_PREFIX.length());
            // the last resblocks: diffusers' CLIPTextModel stops at the penultimate layer
            if (local.startsWith("transformer.resblocks.")) {
                String layer = local.substring(0, local.indexOf('.', "transformer.resblocks.".length()) + 1);
                return !claimed.contains(LdmKeyMap.OPEN_CLIP_PREFIX + layer + "ln_1.weight");
            }
            return local.equals("text_projection") || local.equals("logit_scale") || local.equals("attn_mask");
        }
        return false;
    }

    // ------------------------------------------------------------------ writing

    /**
     * Writes {@code parts} in the single-file layout to {@code out}, atomically. Each tensor is stored
     * in the type {@code source} stores it in when given (so tensors that were not changed come back
     * bit for bit from an F16, BF16 or F32 file), else in the parameter's type. Tensors of
     * {@code source} that no part writes (scheduler buffers, OpenCLIP's projection and last layer,
     * {@code position_ids}) are copied unchanged, except EMA copies ({@code model_ema.*}), which
     * would no longer match the written UNet.
     *
     * @param source the checkpoint the model was loaded from, or {@code null}
     */
    public static void write(Path out, List<Part> parts, Map<String, String> metadata, SingleFileCheckpoint source)
            throws IOException {
        Map<String, RawTensor> tensors = new LinkedHashMap<>();
        for (Part part : parts) {
            Map<String, NDArray[]> fused = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : part.module().stateDict().entrySet()) {
                LdmKeyMap.Target t = part.map().toLdm(e.getKey());
                NDArray value = e.getValue();
                switch (t.shape()) {
                    case SAME -> tensors.put(t.key(), raw(t.key(), value, source));
                    case CONV_1X1 -> {
                        try (NDArray conv = value.reshape(new Shape(ldmShape(t, value.getShape().getShape())))) {
                            tensors.put(t.key(), raw(t.key(), conv, source));
                        }
                    }
                    case THIRD -> fused.computeIfAbsent(t.key(), k -> new NDArray[3])[t.part()] = value;
                }
            }
            for (Map.Entry<String, NDArray[]> e : fused.entrySet()) {
                try (NDArray joined = NDArrays.concat(new NDList(e.getValue()))) {
                    tensors.put(e.getKey(), raw(e.getKey(), joined, source));
                }
            }
        }
        int copied = 0;
        if (source != null) {
            for (String name : source.file().names()) {
                if (!tensors.containsKey(name) && !name.startsWith(EMA_PREFIX)) {
                    TensorInfo info = source.file().info(name);
                    tensors.put(name, new RawTensor(info.dtype(), info.shape(), source.file().bytes(name)));
                    copied++;
                }
            }
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.putAll(metadata);
        SafetensorsWriter.writeRaw(out, tensors, meta);
        LOG.info("wrote {} tensors ({} copied unchanged from the source) to {}", tensors.size(), copied, out);
    }

    private static RawTensor raw(String key, NDArray value, SingleFileCheckpoint source) {
        if (source != null && source.file().contains(key)) {
            return RawTensor.of(value, source.file().info(key).dtype());
        }
        return RawTensor.of(value);
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
