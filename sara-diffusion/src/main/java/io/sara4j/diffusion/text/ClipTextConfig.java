package io.sara4j.diffusion.text;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.sara4j.core.nn.Activations;
import io.sara4j.diffusion.loading.ConfigJson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code config.json} of a transformers {@code CLIPTextModel} (the {@code text_encoder/} of a
 * Stable Diffusion folder), with transformers' {@code CLIPTextConfig} defaults for absent keys.
 *
 * <p>SD1.x uses hidden 768, 12 layers, 12 heads, {@code quick_gelu}; SD2.x hidden 1024, 23 layers,
 * 16 heads, {@code gelu}. Both carry the legacy {@code eos_token_id} 2, which selects the pooled
 * position by the highest token id (see {@link ClipTextTransformer}).
 *
 * @param vocabSize rows of the token embedding ({@code vocab_size})
 * @param hiddenSize width D of every hidden state ({@code hidden_size})
 * @param intermediateSize width of the MLP's hidden layer ({@code intermediate_size})
 * @param projectionDim width of the text projection of CLIPTextModelWithProjection; unused by
 *     CLIPTextModel, kept for reporting ({@code projection_dim})
 * @param numHiddenLayers number of encoder layers ({@code num_hidden_layers})
 * @param numAttentionHeads heads per attention; must divide {@code hiddenSize} ({@code num_attention_heads})
 * @param maxPositionEmbeddings longest token sequence, 77 for Stable Diffusion ({@code max_position_embeddings})
 * @param hiddenAct MLP activation name ({@code hidden_act}): quick_gelu, gelu, gelu_new, ...
 * @param layerNormEps epsilon of every layer norm ({@code layer_norm_eps})
 * @param attentionDropout dropout on attention probabilities ({@code attention_dropout}); only 0 is supported
 * @param padTokenId id of the padding token ({@code pad_token_id})
 * @param bosTokenId id of the start token ({@code bos_token_id})
 * @param eosTokenId id of the end token ({@code eos_token_id}); the value 2 is the legacy marker
 */
public record ClipTextConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int projectionDim,
        int numHiddenLayers,
        int numAttentionHeads,
        int maxPositionEmbeddings,
        String hiddenAct,
        double layerNormEps,
        double attentionDropout,
        int padTokenId,
        int bosTokenId,
        int eosTokenId) {

    /** The {@code eos_token_id} of configs written before transformers fixed it; see {@link #legacyPooling()}. */
    public static final int LEGACY_EOS_TOKEN_ID = 2;

    /** Validates every field; errors name the JSON key and the allowed values. */
    public ClipTextConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("max_position_embeddings", maxPositionEmbeddings);
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads=" + numAttentionHeads
                    + " must divide hidden_size=" + hiddenSize);
        }
        Activations.fromConfigName(hiddenAct); // rejects unsupported names with the supported list
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("layer_norm_eps must be > 0, got " + layerNormEps);
        }
        if (attentionDropout != 0.0) {
            throw new IllegalArgumentException("unsupported value " + attentionDropout
                    + " for attention_dropout (supported: 0.0, as in every Stable Diffusion text encoder)");
        }
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be > 0, got " + value);
        }
    }

    /**
     * Binds the JSON keys; absent keys take transformers' defaults. Keys that only describe the
     * file ({@code torch_dtype}, {@code transformers_version}) or initialisation
     * ({@code initializer_range}, {@code initializer_factor}, {@code dropout}) are accepted and unused.
     */
    @JsonCreator
    static ClipTextConfig fromJson(
            @JsonProperty("vocab_size") Integer vocabSize,
            @JsonProperty("hidden_size") Integer hiddenSize,
            @JsonProperty("intermediate_size") Integer intermediateSize,
            @JsonProperty("projection_dim") Integer projectionDim,
            @JsonProperty("num_hidden_layers") Integer numHiddenLayers,
            @JsonProperty("num_attention_heads") Integer numAttentionHeads,
            @JsonProperty("max_position_embeddings") Integer maxPositionEmbeddings,
            @JsonProperty("hidden_act") String hiddenAct,
            @JsonProperty("layer_norm_eps") Double layerNormEps,
            @JsonProperty("attention_dropout") Double attentionDropout,
            @JsonProperty("pad_token_id") Integer padTokenId,
            @JsonProperty("bos_token_id") Integer bosTokenId,
            @JsonProperty("eos_token_id") Integer eosTokenId,
            @JsonProperty("model_type") String modelType,
            @JsonProperty("architectures") List<String> architectures,
            @JsonProperty("torch_dtype") String torchDtype,
            @JsonProperty("transformers_version") String transformersVersion,
            @JsonProperty("initializer_range") Double initializerRange,
            @JsonProperty("initializer_factor") Double initializerFactor,
            @JsonProperty("dropout") Double dropout) {
        if (modelType != null && !modelType.equals("clip_text_model")) {
            throw new IllegalArgumentException("unsupported value '" + modelType
                    + "' for model_type (supported: clip_text_model)");
        }
        if (architectures != null && !architectures.isEmpty() && !architectures.contains("CLIPTextModel")) {
            throw new IllegalArgumentException("unsupported value " + architectures
                    + " for architectures (supported: [CLIPTextModel])");
        }
        return new ClipTextConfig(
                or(vocabSize, 49408),
                or(hiddenSize, 512),
                or(intermediateSize, 2048),
                or(projectionDim, 512),
                or(numHiddenLayers, 12),
                or(numAttentionHeads, 8),
                or(maxPositionEmbeddings, 77),
                hiddenAct == null ? "quick_gelu" : hiddenAct,
                layerNormEps == null ? 1e-5 : layerNormEps,
                attentionDropout == null ? 0.0 : attentionDropout,
                or(padTokenId, 1),
                or(bosTokenId, 49406),
                or(eosTokenId, 49407));
    }

    private static int or(Integer value, int fallback) {
        return value == null ? fallback : value;
    }

    /** Reads {@code config.json}; errors name the file and the field. */
    public static ClipTextConfig read(Path configJson) throws IOException {
        return ConfigJson.read(configJson, ClipTextConfig.class);
    }

    /** Parses a JSON string; {@code source} names it in errors. */
    public static ClipTextConfig parse(String json, String source) {
        return ConfigJson.parse(json, ClipTextConfig.class, source);
    }

    /**
     * This configuration as the text of a transformers {@code config.json} (with
     * {@code architectures} and {@code model_type} as {@code save_pretrained} writes them), so that
     * {@link #parse} gives an equal record back.
     */
    public String toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("architectures", List.of("CLIPTextModel"));
        json.put("model_type", "clip_text_model");
        json.put("vocab_size", vocabSize);
        json.put("hidden_size", hiddenSize);
        json.put("intermediate_size", intermediateSize);
        json.put("projection_dim", projectionDim);
        json.put("num_hidden_layers", numHiddenLayers);
        json.put("num_attention_heads", numAttentionHeads);
        json.put("max_position_embeddings", maxPositionEmbeddings);
        json.put("hidden_act", hiddenAct);
        json.put("layer_norm_eps", layerNormEps);
        json.put("attention_dropout", attentionDropout);
        json.put("pad_token_id", padTokenId);
        json.put("bos_token_id", bosTokenId);
        json.put("eos_token_id", eosTokenId);
        return ConfigJson.write(json);
    }

    /** Width of one attention head, D / heads. */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** The MLP activation. */
    public Activations activation() {
        return Activations.fromConfigName(hiddenAct);
    }

    /**
     * Whether the pooled output is taken at the highest token id (configs with the legacy
     * {@code eos_token_id} 2, such as every Stable Diffusion text encoder) rather than at the first
     * occurrence of {@code eos_token_id}.
     */
    public boolean legacyPooling() {
        return eosTokenId == LEGACY_EOS_TOKEN_ID;
    }
}
