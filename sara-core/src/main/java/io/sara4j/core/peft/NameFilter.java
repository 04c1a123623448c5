package io.sara4j.core.peft;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which parameters (or modules) a method targets, by glob over their dotted PyTorch names.
 *
 * <p>Glob syntax: {@code *} matches any run of characters, dots included; {@code ?} matches one
 * character; everything else is literal. A glob must match the whole name:
 * {@code *attn*.to_q.weight}, {@code down_blocks.*}, {@code *.bias}. A name is targeted when it
 * matches at least one include glob and no exclude glob.
 *
 * @param include globs of names to target ({@code *} for everything)
 * @param exclude globs of names to leave out, applied after {@code include}
 */
public record NameFilter(List<String> include, List<String> exclude) {

    /** Copies the lists and rejects empty globs. */
    public NameFilter {
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
        for (String g : include) {
            checkGlob(g, "include");
        }
        for (String g : exclude) {
            checkGlob(g, "exclude");
        }
    }

    /** Every name. */
    public static NameFilter all() {
        return new NameFilter(List.of("*"), List.of());
    }

    /** Whether {@code name} is targeted. */
    public boolean test(String name) {
        return include.stream().anyMatch(g -> matches(g, name)) && exclude.stream().noneMatch(g -> matches(g, name));
    }

    /** Whether {@code glob} matches the whole of {@code name}. */
    public static boolean matches(String glob, String name) {
        return toRegex(glob).matcher(name).matches();
    }

    /**
     * Whether {@code glob} matches {@code path} or one of its dotted suffixes: {@code to_out.0}
     * matches {@code mid_block.attentions.0.transformer_blocks.0.attn1.to_out.0} (how LoRA targets
     * are written), but not {@code xto_out.0}.
     */
    public static boolean matchesSuffix(String glob, String path) {
        if (matches(glob, path)) {
            return true;
        }
        for (int dot = path.indexOf('.'); dot >= 0; dot = path.indexOf('.', dot + 1)) {
            if (matches(glob, path.substring(dot + 1))) {
                return true;
            }
        }
        return false;
    }

    private static Pattern toRegex(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }

    private static void checkGlob(String glob, String field) {
        if (glob == null || glob.isBlank()) {
            throw new IllegalArgumentException(field + " globs must be non-empty, got '" + glob + "'");
        }
    }
}
