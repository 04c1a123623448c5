package io.sara4j.diffusion.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Readers for the two files of a byte-level BPE vocabulary as transformers writes them:
 * {@code vocab.json} (symbol to id) and {@code merges.txt} (a {@code #version} line, then one merge
 * rule per line, two symbols separated by a space, in rank order).
 */
final class BpeFiles {
    /**
     * Merge rules read at most: CLIP's 49,152-symbol vocabulary minus the 256 byte symbols and the
     * two markers. The reference reads the same number of lines.
     */
    static final int MAX_MERGES = 49152 - 256 - 2;

    private BpeFiles() {}

    /** The symbol-to-id map of {@code file}. */
    static Map<String, Integer> readVocab(Path file) throws IOException {
        requireFile(file);
        JsonNode root = ClipTokenizerConfig.readObject(file);
        Map<String, Integer> vocab = new HashMap<>(root.size() * 2);
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            JsonNode id = e.getValue();
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0) {
                throw new IllegalArgumentException(file + ": id of symbol '" + e.getKey()
                        + "' must be a non-negative integer, got " + id);
            }
            vocab.put(e.getKey(), id.intValue());
        }
        if (vocab.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no symbols");
        }
        return vocab;
    }

    /** The merge rules of {@code file} with their ranks (line order, from 0). */
    static Map<BpeModel.SymbolPair, Integer> readMerges(Path file) throws IOException {
        requireFile(file);
        String[] lines = Files.readString(file, StandardCharsets.UTF_8).strip().split("\n");
        Map<BpeModel.SymbolPair, Integer> ranks = new LinkedHashMap<>();
        int rank = 0;
        for (int i = 0; i < lines.length && rank < MAX_MERGES; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || (i == 0 && line.startsWith("#"))) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts.length != 2) {
                throw new IllegalArgumentException(file + ":" + (i + 1)
                        + ": a merge rule is two symbols separated by a space, got '" + line + "'");
            }
            // A repeated rule keeps its last rank, as a Python dict built from the lines would.
            ranks.put(new BpeModel.SymbolPair(parts[0], parts[1]), rank++);
        }
        return ranks;
    }

    private static void requireFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("missing " + file.getFileName() + " in " + file.getParent()
                    + " (a tokenizer folder holds vocab.json and merges.txt)");
        }
    }
}
