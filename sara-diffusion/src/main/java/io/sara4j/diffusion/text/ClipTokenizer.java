package io.sara4j.diffusion.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.core.nn.HostArrays;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CLIP's byte-level BPE tokenizer (transformers' slow {@code CLIPTokenizer}, clean-up path without
 * {@code ftfy}), loaded from a diffusers {@code tokenizer/} folder.
 *
 * <p>Encoding a text:
 * <ol>
 *   <li>cut out the added tokens (bos, eos, pad, unk and any others; see {@link AddedToken});
 *   <li>for the text between them: clean, lower-case and re-space it ({@link ClipTextNormalizer}),
 *       split it into pieces ({@link ClipPreTokenizer}), map each piece's UTF-8 bytes to characters
 *       ({@link ByteLevelAlphabet}) and run BPE on it ({@link BpeModel});
 *   <li>look every symbol up in {@code vocab.json} (added tokens first; unknown symbols become
 *       unk) and frame the ids with bos and eos.
 * </ol>
 * Padded encodings have exactly {@code model_max_length} (77) ids: the text is truncated so that
 * eos stays last, and the pad id fills the rest (SD1 pads with {@code <|endoftext|>}, SD2 with
 * {@code !}). Instances are immutable and thread-safe.
 */
public final class ClipTokenizer {
    private final Map<String, Integer> vocab;
    private final Map<String, Integer> addedIds;
    private final BpeModel bpe;
    private final AddedTokenSplitter splitter;
    private final int bosId;
    private final int eosId;
    private final int padId;
    private final int unkId;
    private final int maxLength;
    private final Path source;

    private ClipTokenizer(Map<String, Integer> vocab, BpeModel bpe, ClipTokenizerConfig config, Path source) {
        this.source = source;
        this.vocab = Map.copyOf(vocab);
        this.bpe = bpe;
        Map<String, Integer> ids = new HashMap<>();
        for (AddedToken token : config.allAddedTokens()) {
            Integer id = config.explicitIds().get(token.content());
            if (id == null) {
                id = vocab.get(token.content());
            }
            if (id == null) {
                throw new IllegalArgumentException(source + ": token '" + token.content()
                        + "' is neither in vocab.json nor given an id by added_tokens_decoder");
            }
            ids.put(token.content(), id);
        }
        this.addedIds = Map.copyOf(ids);
        this.splitter = new AddedTokenSplitter(config.allAddedTokens());
        this.bosId = ids.get(config.bos().content());
        this.eosId = ids.get(config.eos().content());
        this.padId = ids.get(config.pad().content());
        this.unkId = ids.get(config.unk().content());
        this.maxLength = config.modelMaxLength();
    }

    /**
     * Loads {@code vocab.json} and {@code merges.txt} (required) and the special-token settings
     * (optional, see {@link ClipTokenizerConfig#load}) from {@code folder}.
     *
     * @throws IllegalArgumentException naming the file, when a file is missing or malformed
     * @throws IOException when a file cannot be read
     */
    public static ClipTokenizer load(Path folder) throws IOException {
        Map<String, Integer> vocab = BpeFiles.readVocab(folder.resolve("vocab.json"));
        Map<BpeModel.SymbolPair, Integer> merges = BpeFiles.readMerges(folder.resolve("merges.txt"));
        // The reference keeps its two markers whole whatever the configured special tokens are.
        BpeModel bpe = new BpeModel(merges, List.of(ClipPreTokenizer.START_OF_TEXT, ClipPreTokenizer.END_OF_TEXT));
        return new ClipTokenizer(vocab, bpe, ClipTokenizerConfig.load(folder), folder);
    }

    /** The files a tokenizer folder may hold; {@link #save} copies those present. */
    private static final List<String> FILES = List.of("vocab.json", "merges.txt", "tokenizer_config.json",
            "special_tokens_map.json", "added_tokens.json");

    /**
     * Writes this tokenizer's files into {@code folder} (created if needed): the files it was
     * loaded from, copied unchanged, each atomically.
     */
    public void save(Path folder) throws IOException {
        Files.createDirectories(folder);
        for (String name : FILES) {
            Path from = source.resolve(name);
            if (Files.isRegularFile(from)) {
                AtomicFiles.write(folder.resolve(name), out -> Files.copy(from, out));
            }
        }
    }

    /** The BPE symbols of {@code text} (added tokens kept whole), without bos/eos, untruncated. */
    public List<String> tokenize(String text) {
        List<String> tokens = new ArrayList<>();
        for (AddedTokenSplitter.Segment segment : splitter.split(text)) {
            if (segment.added()) {
                tokens.add(segment.text());
                continue;
            }
            String normalized = ClipTextNormalizer.normalize(segment.text());
            for (String piece : ClipPreTokenizer.split(normalized)) {
                tokens.addAll(bpe.encode(ByteLevelAlphabet.encode(piece)));
            }
        }
        return tokens;
    }

    /** The id of {@code token}: its added-token id, else its vocabulary id, else the unk id. */
    public int tokenId(String token) {
        Integer id = addedIds.get(token);
        if (id == null) {
            id = vocab.get(token);
        }
        return id == null ? unkId : id;
    }

    /** bos, the ids of {@code text}, eos; neither truncated nor padded. */
    public int[] encode(String text) {
        List<String> tokens = tokenize(text);
        int[] ids = new int[tokens.size() + 2];
        ids[0] = bosId;
        for (int i = 0; i < tokens.size(); i++) {
            ids[i + 1] = tokenId(tokens.get(i));
        }
        ids[ids.length - 1] = eosId;
        return ids;
    }

    /**
     * Exactly {@link #maxLength()} ids: bos, the ids of {@code text} truncated to
     * {@code maxLength - 2}, eos, then the pad id; with the matching attention mask.
     */
    public PaddedTokens encodeWithMask(String text) {
        int[] full = encode(text);
        int[] ids = new int[maxLength];
        int[] mask = new int[maxLength];
        int kept = Math.min(full.length - 2, maxLength - 2);
        ids[0] = bosId;
        System.arraycopy(full, 1, ids, 1, kept);
        ids[kept + 1] = eosId;
        Arrays.fill(ids, kept + 2, maxLength, padId);
        Arrays.fill(mask, 0, kept + 2, 1);
        return new PaddedTokens(ids, mask);
    }

    /** The ids of {@link #encodeWithMask}: exactly {@link #maxLength()} of them. */
    public int[] encodePadded(String text) {
        return encodeWithMask(text).inputIds();
    }

    /** The padded ids of each text as an int64 array of shape (B, maxLength), in {@code manager}. */
    public NDArray encodeBatch(NDManager manager, List<String> texts) {
        long[] ids = new long[texts.size() * maxLength];
        for (int b = 0; b < texts.size(); b++) {
            int[] row = encodePadded(texts.get(b));
            for (int i = 0; i < maxLength; i++) {
                ids[b * maxLength + i] = row[i];
            }
        }
        return HostArrays.of(manager, ids, new Shape(texts.size(), maxLength));
    }

    /** Length of every padded encoding ({@code model_max_length}, 77 for CLIP). */
    public int maxLength() {
        return maxLength;
    }

    /** Id of the beginning-of-sequence token. */
    public int bosId() {
        return bosId;
    }

    /** Id of the end-of-sequence token. */
    public int eosId() {
        return eosId;
    }

    /** Id that fills the padding. */
    public int padId() {
        return padId;
    }

    /** Id given to symbols missing from the vocabulary. */
    public int unkId() {
        return unkId;
    }

    /** Number of entries in {@code vocab.json}. */
    public int vocabSize() {
        return vocab.size();
    }
}
