package io.sara4j.diffusion.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and checks the {@code metadata.jsonl} of a HuggingFace {@code imagefolder}: one JSON
 * object per line, the image path (relative to the folder) under the image column and the caption
 * under the caption column. Blank lines are skipped.
 *
 * <p>Every line is checked before anything is returned (valid JSON object, both fields present and
 * strings, the image path inside the folder), and all problems are reported together, each as
 * {@code <file>:<line>: <what is wrong>}. The image files themselves are checked afterwards by
 * {@link ImageCaptionDataset#open} ({@link ImageCheck}), because a bad image, unlike a bad line,
 * may be skipped.
 */
final class MetadataJsonl {
    static final String FILE_NAME = "metadata.jsonl";
    private static final int MAX_REPORTED = 20;
    // A line holding one object and then more (two objects, trailing text) is malformed too.
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private MetadataJsonl() {}

    /** The examples of {@code folder}, captions prefixed by the options' prefix. */
    static List<Example> read(Path folder, DatasetOptions options) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException(folder + ": not a directory (expected an image folder with "
                    + FILE_NAME + ")");
        }
        Path file = folder.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            String csv = Files.exists(folder.resolve("metadata.csv"))
                    ? " (metadata.csv is not read: write the same rows as JSON lines)" : "";
            throw new IllegalArgumentException(file + ": missing; expected one JSON object per line such as {\""
                    + options.imageColumn() + "\": \"0001.png\", \"" + options.captionColumn() + "\": \"a caption\"}"
                    + csv);
        }
        List<Example> examples = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        // Decoded line by line (not through a buffered reader) so a bad byte is reported at its line.
        byte[] bytes = Files.readAllBytes(file);
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();
        int line = 0;
        for (int start = 0; start < bytes.length; ) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            line++;
            try {
                String text = utf8.decode(ByteBuffer.wrap(bytes, start, end - start)).toString();
                if (line == 1 && text.startsWith("\uFEFF")) {
                    text = text.substring(1); // byte-order mark
                }
                if (!text.isBlank()) { // blank includes the lone "\r" of an empty CRLF line
                    examples.add(parseLine(folder, text, line, options));
                }
            } catch (CharacterCodingException e) {
                problems.add(file + ":" + line + ": not UTF-8 text (JSON lines must be UTF-8)");
            } catch (IllegalArgumentException e) {
                problems.add(file + ":" + line + ": " + e.getMessage());
            }
            start = end + 1;
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(report(file, problems));
        }
        if (examples.isEmpty()) {
            throw new IllegalArgumentException(file + ": no examples: the file has no JSON lines (expected one {\""
                    + options.imageColumn() + "\": ..., \"" + options.captionColumn() + "\": ...} object per line)");
        }
        return examples;
    }

    private static String report(Path file, List<String> problems) {
        StringBuilder msg = new StringBuilder();
        msg.append(problems.size() == 1 ? "" : problems.size() + " problems in " + file + ":\n");
        for (int i = 0; i < Math.min(MAX_REPORTED, problems.size()); i++) {
            msg.append(i == 0 ? "" : "\n").append(problems.get(i));
        }
        if (problems.size() > MAX_REPORTED) {
            msg.append("\n… and ").append(problems.size() - MAX_REPORTED).append(" more");
        }
        return msg.toString();
    }

    /** One line; throws IllegalArgumentException with the reason (the caller adds file and line). */
    private static Example parseLine(Path folder, String text, int line, DatasetOptions options) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("expected a JSON object, found "
                    + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase()));
        }
        String name = stringField(node, options.imageColumn(), "image column");
        String caption = stringField(node, options.captionColumn(), "caption column");
        Path image = resolveInside(folder, name, options.imageColumn());
        Map<String, String> fields = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            JsonNode value = field.getValue();
            fields.put(field.getKey(), value.isTextual() ? value.textValue() : value.toString());
        }
        return new Example(image, options.captionPrefix() + caption, line, fields);
    }

    private static String stringField(JsonNode node, String column, String role) {
        JsonNode value = node.get(column);
        if (value == null) {
            List<String> present = node.properties().stream().map(Map.Entry::getKey).toList();
            throw new IllegalArgumentException("missing field \"" + column + "\" (the " + role + "; fields present: "
                    + present + ")");
        }
        if (!value.isTextual()) {
            String hint = value.isArray() ? "; lists of captions are not supported: write one line per caption" : "";
            throw new IllegalArgumentException("field \"" + column + "\" must be a string, found "
                    + value.getNodeType().toString().toLowerCase() + hint);
        }
        return value.textValue();
    }

    /** The image path, which must be relative and stay inside the folder. */
    private static Path resolveInside(Path folder, String name, String column) {
        Path relative;
        try {
            relative = Path.of(name);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("field \"" + column + "\": not a valid path: " + name);
        }
        Path root = folder.toAbsolutePath().normalize();
        Path resolved = root.resolve(relative).normalize();
        if (name.isEmpty() || relative.isAbsolute() || !resolved.startsWith(root) || resolved.equals(root)) {
            throw new IllegalArgumentException("field \"" + column + "\" must be a file path relative to the folder,"
                    + " found \"" + name + "\"");
        }
        return resolved;
    }
}
