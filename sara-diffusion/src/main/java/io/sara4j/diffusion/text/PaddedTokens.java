package io.sara4j.diffusion.text;

/**
 * One text encoded to the fixed length the text encoder expects.
 *
 * @param inputIds bos, the text's ids (truncated if needed), eos, then pad ids; length
 *     {@code model_max_length}
 * @param attentionMask 1 for bos, text and eos positions, 0 for padding; same length
 */
public record PaddedTokens(int[] inputIds, int[] attentionMask) {
    /** Checks that both arrays have the same length. */
    public PaddedTokens {
        if (inputIds.length != attentionMask.length) {
            throw new IllegalArgumentException("inputIds has length " + inputIds.length
                    + " but attentionMask has length " + attentionMask.length);
        }
    }

    /** Number of positions that are not padding. */
    public int length() {
        int n = 0;
        for (int m : attentionMask) {
            n += m;
        }
        return n;
    }
}
