package io.sara4j.diffusion.text;

import java.util.Objects;

/**
 * A token that the tokenizer cuts out of the raw text before any clean-up, and maps straight to
 * its id instead of running BPE on it (transformers' {@code AddedToken}). Every special token
 * (bos, eos, pad, unk) is one: with SD2's pad token {@code !}, each {@code !} in a prompt becomes
 * that token.
 *
 * @param content the exact text of the token (matched case-sensitively)
 * @param lstrip whether the token also swallows the whitespace to its left
 * @param rstrip whether the token also swallows the whitespace to its right
 */
public record AddedToken(String content, boolean lstrip, boolean rstrip) {
    /** Validates that the content is a non-empty string. */
    public AddedToken {
        Objects.requireNonNull(content, "content");
        if (content.isEmpty()) {
            throw new IllegalArgumentException("an added token cannot be the empty string");
        }
    }

    /** A token that strips no whitespace, the default for CLIP's special tokens. */
    public static AddedToken of(String content) {
        return new AddedToken(content, false, false);
    }
}
