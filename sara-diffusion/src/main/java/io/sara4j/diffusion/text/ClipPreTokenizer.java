package io.sara4j.diffusion.text;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits normalised text into the pieces that BPE encodes one at a time, with CLIP's pattern:
 * the two literal markers {@code <|startoftext|>} and {@code <|endoftext|>}, the English
 * contractions {@code 's 't 're 've 'm 'll 'd}, runs of letters, single digits, and runs of
 * anything that is neither whitespace, letter nor digit. Whitespace separates pieces and is
 * dropped. Matching is case-insensitive, as in the reference.
 */
final class ClipPreTokenizer {
    /** The markers the pattern keeps whole; BPE maps them to themselves. */
    static final String START_OF_TEXT = "<|startoftext|>";
    static final String END_OF_TEXT = "<|endoftext|>";

    private static final Pattern PIECE = Pattern.compile(
            Pattern.quote(START_OF_TEXT) + "|" + Pattern.quote(END_OF_TEXT)
                    + "|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS);

    private ClipPreTokenizer() {}

    /** The pieces of {@code normalized} in order. */
    static List<String> split(String normalized) {
        List<String> pieces = new ArrayList<>();
        Matcher m = PIECE.matcher(normalized);
        while (m.find()) {
            pieces.add(m.group());
        }
        return pieces;
    }
}
