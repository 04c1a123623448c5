package io.sara4j.diffusion.text;

import java.text.Normalizer;
import java.util.Locale;

/**
 * The text clean-up CLIP's tokenizer applies when the {@code ftfy} package is absent (transformers'
 * {@code BasicTokenizer} with lower-casing on, accents kept and no punctuation splitting), which is
 * the path the reference outputs were produced with.
 *
 * <ol>
 *   <li>Drop U+0000, U+FFFD and every control or format character (Unicode category C*), except
 *       tab, line feed and carriage return.
 *   <li>Turn tab, line feed, carriage return and every space separator (Zs) into a plain space.
 *   <li>Surround each CJK ideograph with spaces.
 *   <li>Normalise to NFC.
 *   <li>Split on whitespace (as Python's {@code str.split()}: this also splits at U+2028/U+2029,
 *       which step 2 leaves in place), lower-case each piece, join the pieces with one space.
 * </ol>
 */
final class ClipTextNormalizer {
    private ClipTextNormalizer() {}

    /** {@code text} cleaned, lower-cased, with single spaces between words and none at the ends. */
    static String normalize(String text) {
        String cleaned = Normalizer.normalize(padIdeographs(clean(text)), Normalizer.Form.NFC);
        StringBuilder out = new StringBuilder(cleaned.length());
        int i = 0;
        int n = cleaned.length();
        while (i < n) {
            while (i < n && isPythonWhitespace(cleaned.codePointAt(i))) {
                i += Character.charCount(cleaned.codePointAt(i));
            }
            int start = i;
            while (i < n && !isPythonWhitespace(cleaned.codePointAt(i))) {
                i += Character.charCount(cleaned.codePointAt(i));
            }
            if (i > start) {
                if (out.length() > 0) {
                    out.append(' ');
                }
                out.append(cleaned.substring(start, i).toLowerCase(Locale.ROOT));
            }
        }
        return out.toString();
    }

    /** Steps 1 and 2. */
    private static String clean(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (cp == '\t' || cp == '\n' || cp == '\r' || Character.getType(cp) == Character.SPACE_SEPARATOR) {
                out.append(' ');
            } else if (cp != 0 && cp != 0xFFFD && !isOtherCategory(cp)) {
                out.appendCodePoint(cp);
            }
        });
        return out.toString();
    }

    /** Unicode general category C*: Cc, Cf, Cs, Co, Cn. */
    private static boolean isOtherCategory(int cp) {
        switch (Character.getType(cp)) {
            case Character.CONTROL:
            case Character.FORMAT:
            case Character.SURROGATE:
            case Character.PRIVATE_USE:
            case Character.UNASSIGNED:
                return true;
            default:
                return false;
        }
    }

    /** Step 3. */
    private static String padIdeographs(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        text.codePoints().forEach(cp -> {
            if (isCjkIdeograph(cp)) {
                out.append(' ').appendCodePoint(cp).append(' ');
            } else {
                out.appendCodePoint(cp);
            }
        });
        return out.toString();
    }

    /** The CJK Unified Ideographs blocks (with extensions A-E) and the compatibility ideographs. */
    static boolean isCjkIdeograph(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF)
                || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    /** What Python's {@code str.isspace()} accepts: White_Space characters, plus U+001C..U+001F. */
    static boolean isPythonWhitespace(int cp) {
        return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85;
    }
}
