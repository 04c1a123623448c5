package io.sara4j.diffusion.text;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-pair encoding of one pre-tokenised piece with ranked merges (Sennrich et al. 2016, in the
 * byte-level form of GPT-2/CLIP).
 *
 * <p>A piece starts as its characters, the last one carrying the end-of-word suffix {@code </w>}.
 * Repeatedly the adjacent pair with the lowest merge rank is found and every non-overlapping
 * occurrence of it, scanned left to right, is fused into one symbol; this stops when no adjacent
 * pair has a rank or one symbol is left. Results are cached per piece, since prompts repeat words.
 * Thread-safe.
 */
final class BpeModel {
    /** Word-end marker appended to the last symbol of each piece. */
    static final String END_OF_WORD = "</w>";

    /** Pieces cached at most; past this, results are computed but no longer stored. */
    private static final int CACHE_LIMIT = 100_000;

    private final Map<SymbolPair, Integer> ranks;
    private final Map<String, List<String>> cache = new ConcurrentHashMap<>();

    /** An adjacent pair of symbols, the key of a merge rule. */
    record SymbolPair(String left, String right) {}

    /**
     * @param ranks merge rank of each pair (0 = applied first)
     * @param wholePieces pieces that are never split (they map to themselves)
     */
    BpeModel(Map<SymbolPair, Integer> ranks, List<String> wholePieces) {
        this.ranks = Map.copyOf(ranks);
        for (String piece : wholePieces) {
            cache.put(piece, List.of(piece));
        }
    }

    /** Number of merge rules. */
    int mergeCount() {
        return ranks.size();
    }

    /** The BPE symbols of {@code piece}, already mapped through {@link ByteLevelAlphabet}. */
    List<String> encode(String piece) {
        List<String> cached = cache.get(piece);
        if (cached != null) {
            return cached;
        }
        List<String> symbols = Collections.unmodifiableList(merge(piece));
        if (cache.size() < CACHE_LIMIT) {
            cache.put(piece, symbols);
        }
        return symbols;
    }

    private List<String> merge(String piece) {
        if (piece.isEmpty()) {
            return List.of();
        }
        List<String> symbols = new ArrayList<>(piece.length());
        for (int i = 0; i < piece.length(); ) {
            int end = i + Character.charCount(piece.codePointAt(i));
            symbols.add(piece.substring(i, end));
            i = end;
        }
        int last = symbols.size() - 1;
        symbols.set(last, symbols.get(last) + END_OF_WORD);

        while (symbols.size() > 1) {
            SymbolPair best = null;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                SymbolPair pair = new SymbolPair(symbols.get(i), symbols.get(i + 1));
                Integer rank = ranks.get(pair);
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    best = pair;
                }
            }
            if (best == null) {
                break;
            }
            symbols = fuse(symbols, best);
        }
        return symbols;
    }

    /** Replaces each non-overlapping occurrence of {@code pair}, left to right, by one symbol. */
    private static List<String> fuse(List<String> symbols, SymbolPair pair) {
        List<String> out = new ArrayList<>(symbols.size());
        int i = 0;
        while (i < symbols.size()) {
            if (i + 1 < symbols.size()
                    && symbols.get(i).equals(pair.left())
                    && symbols.get(i + 1).equals(pair.right())) {
                out.add(pair.left() + pair.right());
                i += 2;
            } else {
                out.add(symbols.get(i));
                i++;
            }
        }
        return out;
    }
}
