package io.sara4j.diffusion.data;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One line of {@code metadata.jsonl}.
 *
 * @param imageFile the image, resolved inside the dataset folder
 * @param caption the caption as trained on: the options' prefix followed by the caption field
 * @param line 1-based line number in {@code metadata.jsonl}
 * @param fields every field of the line as text (strings as they are, other values as JSON), in
 *     file order: the image and caption columns and any extra labels (the shapes benchmark writes
 *     {@code shape}, {@code colour}, {@code background}, {@code style}, …)
 */
public record Example(Path imageFile, String caption, int line, Map<String, String> fields) {
    /** Copies the fields into an unmodifiable map. */
    public Example {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }
}
