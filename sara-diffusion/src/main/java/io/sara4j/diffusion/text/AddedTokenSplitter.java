package io.sara4j.diffusion.text;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Cuts the added tokens out of raw text, the first step of transformers' slow
 * {@code tokenize()}: scanning left to right, the longest added token that starts at the earliest
 * position is taken; the text between tokens is left for clean-up and BPE. A token with
 * {@code lstrip}/{@code rstrip} also removes the whitespace next to it on that side.
 */
final class AddedTokenSplitter {
    /** A run of the input: either one added token or ordinary text. */
    record Segment(String text, boolean added) {}

    private final List<AddedToken> tokens;

    AddedTokenSplitter(Collection<AddedToken> tokens) {
        List<AddedToken> sorted = new ArrayList<>(tokens);
        // Longest first, so that at one position the longest token wins.
        sorted.sort(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed());
        this.tokens = List.copyOf(sorted);
    }

    /** The segments of {@code text} in order; ordinary segments may be empty or blank. */
    List<Segment> split(String text) {
        List<Segment> segments = new ArrayList<>();
        int plainStart = 0;
        int i = 0;
        boolean stripLeadingSpace = false;
        while (i < text.length()) {
            AddedToken match = matchAt(text, i);
            if (match == null) {
                i++;
                continue;
            }
            String before = text.substring(plainStart, i);
            if (stripLeadingSpace) {
                before = before.stripLeading();
            }
            if (match.lstrip()) {
                before = before.stripTrailing();
            }
            segments.add(new Segment(before, false));
            segments.add(new Segment(match.content(), true));
            stripLeadingSpace = match.rstrip();
            i += match.content().length();
            plainStart = i;
        }
        String rest = text.substring(plainStart);
        segments.add(new Segment(stripLeadingSpace ? rest.stripLeading() : rest, false));
        return segments;
    }

    private AddedToken matchAt(String text, int position) {
        for (AddedToken token : tokens) {
            if (text.startsWith(token.content(), position)) {
                return token;
            }
        }
        return null;
    }
}
