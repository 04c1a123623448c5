package io.sara4j.diffusion.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sara4j.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a small CLIP tokenizer folder whose vocabulary covers a given corpus word for word: the
 * real CLIP layout ({@code vocab.json}, {@code merges.txt} with its {@code #version} line,
 * {@code tokenizer_config.json}, {@code special_tokens_map.json}), loadable by
 * {@link ClipTokenizer#load} and by transformers' {@code CLIPTokenizer}.
 *
 * <p>Vocabulary order follows CLIP's: the 256 byte-level characters, the same with {@code </w>},
 * the merge results in merge order, then {@code <|startoftext|>} and {@code <|endoftext|>}. So any
 * text encodes without unknown tokens (at worst one token per byte).
 *
 * <p>Merges are chosen so that every pre-tokenized piece of the corpus becomes one token: for each
 * piece in order of first appearance, run BPE with the merges so far and, while it yields more than
 * one symbol, append the merge of its first two symbols. An appended merge ranks below every earlier
 * one, and at each stage of an earlier piece some earlier merge applied, so earlier pieces still
 * encode to one token.
 */
public final class ClipVocabularyBuilder {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ClipVocabularyBuilder() {}

    /**
     * Writes the tokenizer files for {@code corpus} into {@code folder} (created if needed), each
     * atomically, and returns the vocabulary size.
     */
    public static int write(Path folder, List<String> corpus) throws IOException {
        Set<String> pieces = new LinkedHashSet<>();
        for (String text : corpus) {
            for (String piece : ClipPreTokenizer.split(ClipTextNormalizer.normalize(text))) {
                pieces.add(ByteLevelAlphabet.encode(piece));
            }
        }
        Map<BpeModel.SymbolPair, Integer> ranks = new LinkedHashMap<>();
        for (String piece : pieces) {
            while (true) {
                List<String> symbols = new BpeModel(ranks, List.of()).encode(piece);
                if (symbols.size() == 1) {
                    break;
                }
                ranks.put(new BpeModel.SymbolPair(symbols.get(0), symbols.get(1)), ranks.size());
            }
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        char[] alphabet = new char[256];
        for (int b = 0; b < 256; b++) {
            alphabet[b] = ByteLevelAlphabet.charOf(b);
        }
        Arrays.sort(alphabet); // CLIP's bytes_to_unicode order: printable bytes first, then the remapped ones
        for (char c : alphabet) {
            vocab.put(String.valueOf(c), vocab.size());
        }
        for (char c : alphabet) {
            vocab.put(c + BpeModel.END_OF_WORD, vocab.size());
        }
        StringBuilder merges = new StringBuilder("#version: 0.2\n");
        for (BpeModel.SymbolPair pair : ranks.keySet()) {
            merges.append(pair.left()).append(' ').append(pair.right()).append('\n');
            vocab.putIfAbsent(pair.left() + pair.right(), vocab.size());
        }
        int bos = vocab.size();
        vocab.put(ClipPreTokenizer.START_OF_TEXT, bos);
        vocab.put(ClipPreTokenizer.END_OF_TEXT, bos + 1);

        Files.createDirectories(folder);
        AtomicFiles.writeString(folder.resolve("vocab.json"), JSON.writeValueAsString(vocab));
        AtomicFiles.writeString(folder.resolve("merges.txt"), merges.toString());
        AtomicFiles.writeString(folder.resolve("tokenizer_config.json"), tokenizerConfig(bos));
        AtomicFiles.writeString(folder.resolve("special_tokens_map.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(specialTokens()));
        return vocab.size();
    }

    private static Map<String, Object> specialTokens() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bos_token", ClipPreTokenizer.START_OF_TEXT);
        m.put("eos_token", ClipPreTokenizer.END_OF_TEXT);
        m.put("pad_token", ClipPreTokenizer.END_OF_TEXT);
        m.put("unk_token", ClipPreTokenizer.END_OF_TEXT);
        return m;
    }

    /** transformers' CLIPTokenizer settings, as SD1.x ships them (pad = eos = unk). */
    private static String tokenizerConfig(int bos) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode added = root.putObject("added_tokens_decoder");
        List<String> specials = new ArrayList<>(List.of(ClipPreTokenizer.START_OF_TEXT, ClipPreTokenizer.END_OF_TEXT));
        for (int i = 0; i < specials.size(); i++) {
            ObjectNode t = added.putObject(String.valueOf(bos + i));
            t.put("content", specials.get(i));
            t.put("lstrip", false);
            t.put("normalized", true);
            t.put("rstrip", false);
            t.put("single_word", false);
            t.put("special", true);
        }
        root.putArray("additional_special_tokens");
        specialTokens().forEach((k, v) -> root.put(k, (String) v));
        root.put("clean_up_tokenization_spaces", true);
        root.put("do_lower_case", true);
        root.put("errors", "replace");
        root.put("model_max_length", 77);
        root.put("tokenizer_class", "CLIPTokenizer");
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    }
}
