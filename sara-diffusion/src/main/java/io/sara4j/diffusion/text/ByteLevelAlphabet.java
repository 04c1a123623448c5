package io.sara4j.diffusion.text;

import java.nio.charset.StandardCharsets;

/**
 * The reversible byte-to-character table of byte-level BPE ({@code bytes_to_unicode} in
 * transformers' {@code tokenization_clip.py}).
 *
 * <p>Every UTF-8 byte of a word becomes one visible character, so the BPE vocabulary never holds
 * raw whitespace or control bytes. The 188 bytes that are printable Latin-1 characters
 * ({@code !}..{@code ~}, {@code ¡}..{@code ¬}, {@code ®}..{@code ÿ}) stand for themselves; the other
 * 68 bytes, in increasing order, take the characters U+0100, U+0101, ... (so the space byte 0x20
 * becomes {@code Ġ}).
 */
final class ByteLevelAlphabet {
    private static final char[] BYTE_TO_CHAR = buildTable();

    private ByteLevelAlphabet() {}

    private static char[] buildTable() {
        char[] table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            table[b] = isPrintableLatin1(b) ? (char) b : (char) next++;
        }
        return table;
    }

    private static boolean isPrintableLatin1(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /** The character that stands for byte {@code b} (0..255). */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** {@code text} as UTF-8 bytes, each replaced by its table character. */
    static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }
}
