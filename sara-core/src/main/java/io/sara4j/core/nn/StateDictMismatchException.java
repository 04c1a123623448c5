package io.sara4j.core.nn;

import java.util.List;

/**
 * A state dict does not fit a module: lists every missing key, unexpected key and shape mismatch
 * at once, so one run shows everything that has to be fixed.
 */
public final class StateDictMismatchException extends IllegalArgumentException {
    private final List<String> missing;
    private final List<String> unexpected;
    private final List<String> shapeMismatches;

    /** Builds the message from the three lists; {@code source} names the file or origin. */
    public StateDictMismatchException(String source, String moduleName, List<String> missing,
            List<String> unexpected, List<String> shapeMismatches) {
        super(message(source, moduleName, missing, unexpected, shapeMismatches));
        this.missing = List.copyOf(missing);
        this.unexpected = List.copyOf(unexpected);
        this.shapeMismatches = List.copyOf(shapeMismatches);
    }

    private static String message(String source, String moduleName, List<String> missing,
            List<String> unexpected, List<String> shapeMismatches) {
        StringBuilder sb = new StringBuilder("cannot load ").append(source).append(" into ").append(moduleName).append(':');
        append(sb, "missing keys", missing);
        append(sb, "unexpected keys", unexpected);
        append(sb, "shape mismatches", shapeMismatches);
        return sb.toString();
    }

    private static void append(StringBuilder sb, String title, List<String> items) {
        if (items.isEmpty()) {
            return;
        }
        sb.append("\n  ").append(items.size()).append(' ').append(title).append(':');
        for (String item : items) {
            sb.append("\n    ").append(item);
        }
    }

    /** Keys the module has but the state dict lacks. */
    public List<String> missing() {
        return missing;
    }

    /** Keys the state dict has but the module lacks. */
    public List<String> unexpected() {
        return unexpected;
    }

    /** One entry per key whose shapes differ: {@code key: expected (..), found (..)}. */
    public List<String> shapeMismatches() {
        return shapeMismatches;
    }
}
