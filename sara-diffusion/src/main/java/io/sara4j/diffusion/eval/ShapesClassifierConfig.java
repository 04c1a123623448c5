package io.sara4j.diffusion.eval;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.sara4j.diffusion.data.shapes.Colour;
import io.sara4j.diffusion.data.shapes.ShapeKind;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.loading.ConfigJson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The {@code config.json} of a {@link ShapesClassifier}.
 *
 * <p>The label lists are written into the file so that it describes itself, and are checked on
 * load against the benchmark's canonical orders ({@link ShapeKind}, {@link Colour}, {@link Style}):
 * a head's output i is the enum constant of ordinal i, and a file trained with another order or
 * label set is refused rather than misread.
 *
 * @param imageSize side of the square RGB input ({@code image_size}); other sizes are resized to it
 * @param channels output channels of each convolution ({@code channels}); the first keeps the
 *     resolution, every further one halves it, and the last is the feature width D
 * @param normNumGroups groups of every group norm ({@code norm_num_groups}); divides every channel count
 */
public record ShapesClassifierConfig(int imageSize, List<Integer> channels, int normNumGroups) {
    /** The configuration of the shipped classifier: 32 × 32 input, channels 16, 32, 64, 128 (D = 128), 8 groups. */
    public static final ShapesClassifierConfig DEFAULT = new ShapesClassifierConfig(32, List.of(16, 32, 64, 128), 8);

    /** Validates every field, naming its JSON key. */
    public ShapesClassifierConfig {
        if (channels == null || channels.isEmpty()) {
            throw new IllegalArgumentException("channels must list at least one convolution width");
        }
        channels = List.copyOf(channels);
        if (normNumGroups < 1) {
            throw new IllegalArgumentException("norm_num_groups must be >= 1, got " + normNumGroups);
        }
        for (int c : channels) {
            if (c < 1 || c % normNumGroups != 0) {
                throw new IllegalArgumentException("every entry of channels must be a positive multiple of norm_num_groups="
                        + normNumGroups + ", got " + channels);
            }
        }
        int downsamplings = channels.size() - 1;
        if (imageSize < 8 || imageSize % (1 << downsamplings) != 0) {
            throw new IllegalArgumentException("image_size must be at least 8 and divisible by 2^" + downsamplings
                    + " (one halving per convolution after the first), got " + imageSize);
        }
    }

    /** Binds the JSON keys and checks the label lists against the benchmark's. */
    @JsonCreator
    static ShapesClassifierConfig fromJson(
            @JsonProperty("image_size") Integer imageSize,
            @JsonProperty("channels") List<Integer> channels,
            @JsonProperty("norm_num_groups") Integer normNumGroups,
            @JsonProperty("shapes") List<String> shapes,
            @JsonProperty("colours") List<String> colours,
            @JsonProperty("styles") List<String> styles) {
        if (imageSize == null || channels == null || normNumGroups == null) {
            throw new IllegalArgumentException("image_size, channels and norm_num_groups are required");
        }
        checkLabels("shapes", shapes, labels(ShapeKind.values(), ShapeKind::label));
        checkLabels("colours", colours, labels(Colour.values(), Colour::label));
        checkLabels("styles", styles, labels(Style.values(), Style::label));
        return new ShapesClassifierConfig(imageSize, channels, normNumGroups);
    }

    private static <E> List<String> labels(E[] values, Function<E, String> label) {
        return Arrays.stream(values).map(label).toList();
    }

    private static void checkLabels(String field, List<String> found, List<String> expected) {
        if (!expected.equals(found)) {
            throw new IllegalArgumentException("unsupported value " + found + " for " + field + " (supported: "
                    + expected + ", the benchmark's order; retrain the classifier for another label set)");
        }
    }

    /** Reads {@code config.json}; errors name the file and the field. */
    public static ShapesClassifierConfig read(Path configJson) throws IOException {
        return ConfigJson.read(configJson, ShapesClassifierConfig.class);
    }

    /** Parses a JSON string; {@code source} names it in errors. */
    public static ShapesClassifierConfig parse(String json, String source) {
        return ConfigJson.parse(json, ShapesClassifierConfig.class, source);
    }

    /** This configuration as {@code config.json} text, label lists included; {@link #parse} gives it back. */
    public String toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("_class_name", "ShapesClassifier");
        json.put("image_size", imageSize);
        json.put("channels", channels);
        json.put("norm_num_groups", normNumGroups);
        json.put("shapes", labels(ShapeKind.values(), ShapeKind::label));
        json.put("colours", labels(Colour.values(), Colour::label));
        json.put("styles", labels(Style.values(), Style::label));
        return ConfigJson.write(json);
    }

    /** Width D of the feature vector (the last convolution's channels). */
    public int featureDim() {
        return channels.get(channels.size() - 1);
    }
}
