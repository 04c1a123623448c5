package io.sara4j.diffusion.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The special tokens and context length of a CLIP tokenizer, read from the optional
 * {@code tokenizer_config.json}, {@code special_tokens_map.json} and {@code added_tokens.json}
 * of a diffusers {@code tokenizer/} folder.
 *
 * <p>Precedence follows transformers: CLIP's defaults ({@code <|startoftext|>},
 * {@code <|endoftext|>} for eos, pad and unk, length 77), overridden by
 * {@code tokenizer_config.json}, overridden by {@code special_tokens_map.json}. A token is given as
 * a string or as an object with {@code content} (and optionally {@code lstrip}, {@code rstrip}).
 * SD2 folders set {@code pad_token} to {@code "!"}.
 *
 * @param bos beginning-of-sequence token, first id of every encoding
 * @param eos end-of-sequence token, last id before padding
 * @param pad token whose id fills the padding
 * @param unk token whose id replaces any BPE symbol missing from the vocabulary
 * @param additional other added tokens ({@code additional_special_tokens},
 *     {@code added_tokens_decoder}, {@code added_tokens.json})
 * @param explicitIds ids given for added tokens by {@code added_tokens_decoder} or
 *     {@code added_tokens.json}; other tokens take their id from {@code vocab.json}
 * @param modelMaxLength length of a padded encoding ({@code model_max_length})
 */
public record ClipTokenizerConfig(
        AddedToken bos,
        AddedToken eos,
        AddedToken pad,
        AddedToken unk,
        List<AddedToken> additional,
        Map<String, Integer> explicitIds,
        int modelMaxLength) {

    /** Context length of CLIP's text encoder, used when the folder does not say. */
    public static final int DEFAULT_MAX_LENGTH = 77;

    /** Upper bound accepted for {@code model_max_length}; larger values are placeholders. */
    private static final int MAX_SUPPORTED_LENGTH = 1 << 16;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Validates the fields and takes immutable copies. */
    public ClipTokenizerConfig {
        Objects.requireNonNull(bos, "bos");
        Objects.requireNonNull(eos, "eos");
        Objects.requireNonNull(pad, "pad");
        Objects.requireNonNull(unk, "unk");
        additional = List.copyOf(additional);
        explicitIds = Map.copyOf(explicitIds);
        if (modelMaxLength < 2 || modelMaxLength > MAX_SUPPORTED_LENGTH) {
            throw new IllegalArgumentException("model_max_length must be in [2, " + MAX_SUPPORTED_LENGTH
                    + "] (77 for CLIP), got " + modelMaxLength);
        }
    }

    /** CLIP's defaults: SD1 conventions, padding with {@code <|endoftext|>}, length 77. */
    public static ClipTokenizerConfig defaults() {
        AddedToken eot = AddedToken.of(ClipPreTokenizer.END_OF_TEXT);
        return new ClipTokenizerConfig(AddedToken.of(ClipPreTokenizer.START_OF_TEXT), eot, eot, eot,
                List.of(), Map.of(), DEFAULT_MAX_LENGTH);
    }

    /** Reads the optional JSON files of {@code folder}; missing files leave the defaults. */
    public static ClipTokenizerConfig load(Path folder) throws IOException {
        Builder b = new Builder(defaults());
        Path config = folder.resolve("tokenizer_config.json");
        if (Files.exists(config)) {
            JsonNode root = readObject(config);
            b.applyTokens(root, config);
            b.applyAddedTokensDecoder(root.get("added_tokens_decoder"), config);
            JsonNode length = root.get("model_max_length");
            if (length != null && !length.isNull()) {
                if (!length.isIntegralNumber() || !length.canConvertToInt()) {
                    throw new IllegalArgumentException(config + ": model_max_length must be an integer"
                            + " (77 for CLIP), got " + length);
                }
                b.modelMaxLength = length.intValue();
            }
        }
        Path map = folder.resolve("special_tokens_map.json");
        if (Files.exists(map)) {
            b.applyTokens(readObject(map), map);
        }
        Path added = folder.resolve("added_tokens.json");
        if (Files.exists(added)) {
            JsonNode root = readObject(added);
            for (Map.Entry<String, JsonNode> e : root.properties()) {
                if (!e.getValue().isIntegralNumber()) {
                    throw new IllegalArgumentException(added + ": id of '" + e.getKey()
                            + "' must be an integer, got " + e.getValue());
                }
                b.addExplicit(AddedToken.of(e.getKey()), e.getValue().intValue());
            }
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(folder + ": " + e.getMessage(), e);
        }
    }

    /** Every added token: the four special ones, then the additional ones, without duplicates. */
    public List<AddedToken> allAddedTokens() {
        Map<String, AddedToken> byContent = new LinkedHashMap<>();
        for (AddedToken t : List.of(bos, eos, pad, unk)) {
            byContent.putIfAbsent(t.content(), t);
        }
        for (AddedToken t : additional) {
            byContent.putIfAbsent(t.content(), t);
        }
        return List.copyOf(byContent.values());
    }

    static JsonNode readObject(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + " must hold a JSON object");
        }
        return root;
    }

    /** Mutable accumulator for {@link #load}. */
    private static final class Builder {
        AddedToken bos;
        AddedToken eos;
        AddedToken pad;
        AddedToken unk;
        final Map<String, AddedToken> additional = new LinkedHashMap<>();
        final Map<String, Integer> explicitIds = new LinkedHashMap<>();
        int modelMaxLength;

        Builder(ClipTokenizerConfig base) {
            bos = base.bos;
            eos = base.eos;
            pad = base.pad;
            unk = base.unk;
            modelMaxLength = base.modelMaxLength;
        }

        void applyTokens(JsonNode root, Path file) {
            bos = tokenOr(root, "bos_token", bos, file);
            eos = tokenOr(root, "eos_token", eos, file);
            pad = tokenOr(root, "pad_token", pad, file);
            unk = tokenOr(root, "unk_token", unk, file);
            JsonNode extra = root.get("additional_special_tokens");
            if (extra != null && !extra.isNull()) {
                if (!extra.isArray()) {
                    throw new IllegalArgumentException(file + ": additional_special_tokens must be a list");
                }
                for (JsonNode item : extra) {
                    AddedToken t = parseToken(item, "additional_special_tokens", file);
                    additional.put(t.content(), t);
                }
            }
        }

        void applyAddedTokensDecoder(JsonNode decoder, Path file) {
            if (decoder == null || decoder.isNull()) {
                return;
            }
            if (!decoder.isObject()) {
                throw new IllegalArgumentException(file + ": added_tokens_decoder must map ids to tokens");
            }
            for (Map.Entry<String, JsonNode> e : decoder.properties()) {
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException nfe) {
                    throw new IllegalArgumentException(file + ": added_tokens_decoder key '" + e.getKey()
                            + "' is not an integer id", nfe);
                }
                addExplicit(parseToken(e.getValue(), "added_tokens_decoder." + id, file), id);
            }
        }

        void addExplicit(AddedToken token, int id) {
            additional.putIfAbsent(token.content(), token);
            explicitIds.put(token.content(), id);
        }

        ClipTokenizerConfig build() {
            return new ClipTokenizerConfig(bos, eos, pad, unk, List.copyOf(additional.values()),
                    explicitIds, modelMaxLength);
        }

        private static AddedToken tokenOr(JsonNode root, String field, AddedToken fallback, Path file) {
            JsonNode node = root.get(field);
            return node == null || node.isNull() ? fallback : parseToken(node, field, file);
        }

        private static AddedToken parseToken(JsonNode node, String field, Path file) {
            if (node.isTextual()) {
                return AddedToken.of(node.textValue());
            }
            if (node.isObject() && node.path("content").isTextual()) {
                if (node.path("single_word").asBoolean(false)) {
                    throw new IllegalArgumentException(file + ": " + field
                            + " has single_word=true, which sara4j does not support (supported: false)");
                }
                return new AddedToken(node.get("content").textValue(), node.path("lstrip").asBoolean(false),
                        node.path("rstrip").asBoolean(false));
            }
            throw new IllegalArgumentException(file + ": " + field
                    + " must be a string or an object with a string 'content', got " + node);
        }
    }
}
