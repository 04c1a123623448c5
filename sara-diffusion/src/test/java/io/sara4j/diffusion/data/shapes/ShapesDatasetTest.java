package io.sara4j.diffusion.data.shapes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.core.nn.Engines;
import io.sara4j.diffusion.data.Crop;
import io.sara4j.diffusion.data.DatasetOptions;
import io.sara4j.diffusion.data.Example;
import io.sara4j.diffusion.data.ImageCaptionDataset;
import io.sara4j.diffusion.pipeline.Images;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShapesDatasetTest {
    @TempDir
    Path dir;

    private static final ShapesOptions SMALL = ShapesOptions.builder().optImageSize(16).build();

    private static List<String> listing(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void sameSeedWritesIdenticalBytes() throws IOException {
        List<Style> styles = List.of(Style.STRIPES, Style.PLAIN);
        ShapesDataset.generate(dir.resolve("a"), styles, 5, 42, SMALL);
        ShapesDataset.generate(dir.resolve("b"), styles, 5, 42, SMALL);
        ShapesDataset.generate(dir.resolve("c"), styles, 5, 43, SMALL);
        assertThat(listing(dir.resolve("a"))).hasSize(11).contains("metadata.jsonl", "stripes-00004.png", "plain-00000.png")
                .isEqualTo(listing(dir.resolve("b")));
        for (String name : listing(dir.resolve("a"))) {
            assertThat(Files.readAllBytes(dir.resolve("b").resolve(name))).as(name)
                    .isEqualTo(Files.readAllBytes(dir.resolve("a").resolve(name)));
        }
        assertThat(Files.readString(dir.resolve("c/metadata.jsonl")))
                .isNotEqualTo(Files.readString(dir.resolve("a/metadata.jsonl")));
        assertThat(listing(dir)).as("no temporary folders left").containsExactly("a", "b", "c");
    }

    @Test
    void heldOutCombinationsAreDisjointFromTrainingAndCoverEveryShapeAndColour() {
        Set<String> train = combos(Split.TRAIN, 400);
        Set<String> heldOut = combos(Split.HELD_OUT, 400);
        assertThat(train).hasSize(36).doesNotContainAnyElementsOf(heldOut);
        assertThat(heldOut).hasSize(12).contains("circle/red", "circle/cyan", "square/green", "diamond/orange");
        Set<String> all = new HashSet<>(train);
        all.addAll(heldOut);
        assertThat(all).hasSize(ShapeKind.values().length * Colour.values().length);
        for (ShapeKind shape : ShapeKind.values()) {
            assertThat(heldOut).anyMatch(c -> c.startsWith(shape.label() + "/"));
            assertThat(train).anyMatch(c -> c.startsWith(shape.label() + "/"));
        }
        for (Colour colour : Colour.values()) {
            assertThat(heldOut).anyMatch(c -> c.endsWith("/" + colour.label()));
            assertThat(train).anyMatch(c -> c.endsWith("/" + colour.label()));
        }
        assertThat(ShapesDataset.prompts(ShapesOptions.builder().optSplit(Split.HELD_OUT).build()))
                .hasSize(12 * Background.values().length)
                .contains("a red circle on a navy background", "an orange diamond on a gray background")
                .doesNotContain("a red square on a black background");
        assertThat(combos(Split.ALL, 192)).hasSize(48); // one round over 48 × 4 backgrounds
        assertThatThrownBy(() -> new HeldOutSplit(1)).hasMessageContaining("modulus");
    }

    private static Set<String> combos(Split split, int count) {
        Set<String> seen = new HashSet<>();
        for (ShapesSpec s : ShapesDataset.specs(Style.PLAIN, count, 7, ShapesOptions.builder().optSplit(split).build())) {
            seen.add(s.shape().label() + "/" + s.colour().label());
        }
        return seen;
    }

    @Test
    void contentIsBalancedSharedAcrossStylesAndPrefixStable() {
        ShapesOptions oneBackground = ShapesOptions.builder().optBackgrounds(List.of(Background.NAVY)).build();
        List<ShapesSpec> plain = ShapesDataset.specs(Style.PLAIN, 72, 3, oneBackground); // 36 combinations × 2
        Map<String, Integer> counts = new HashMap<>();
        for (ShapesSpec s : plain) {
            counts.merge(s.caption(), 1, Integer::sum);
            assertThat(s.background()).isEqualTo(Background.NAVY);
            assertThat(s.radius()).isBetween(32 / 128.0, 48 / 128.0);
            // the whole bounding square stays inside the image with a margin
            assertThat(s.x() - s.radius()).isGreaterThan(0.03);
            assertThat(s.x() + s.radius()).isLessThan(0.97);
            assertThat(s.y() - s.radius()).isGreaterThan(0.03);
            assertThat(s.y() + s.radius()).isLessThan(0.97);
        }
        assertThat(counts).hasSize(36).allSatisfy((caption, n) -> assertThat(n).isEqualTo(2));
        List<ShapesSpec> dots = ShapesDataset.specs(Style.DOTS, 72, 3, oneBackground);
        for (int k = 0; k < plain.size(); k++) {
            assertThat(dots.get(k)).isEqualTo(plain.get(k).withStyle(Style.DOTS));
        }
        assertThat(ShapesDataset.specs(Style.PLAIN, 10, 3, oneBackground)).isEqualTo(plain.subList(0, 10));
    }

    @Test
    void generatedFolderReadsBackWithLabels() throws IOException {
        Path folder = dir.resolve("shapes");
        List<ShapesSpec> specs = ShapesDataset.generate(folder, List.of(Style.CHECKER, Style.OUTLINE), 4, 5,
                ShapesOptions.builder().optImageSize(16).optSplit(Split.ALL).build());
        ImageCaptionDataset data = ImageCaptionDataset.open(folder,
                DatasetOptions.builder().setResolution(16).optCrop(Crop.CENTER).optCaptionPrefix("checker style, ").build());
        assertThat(data.size()).isEqualTo(8);
        try (NDManager manager = Engines.pytorch().newBaseManager()) {
            NDArray batch = data.images(manager, new int[] {0, 5});
            assertThat(batch.getShape()).isEqualTo(new Shape(2, 3, 16, 16));
            for (int b = 0; b < 2; b++) {
                int index = b == 0 ? 0 : 5;
                ShapesSpec spec = specs.get(index);
                Example example = data.example(index);
                assertThat(example.caption()).isEqualTo("checker style, " + spec.caption());
                assertThat(example.fields()).containsEntry("shape", spec.shape().label())
                        .containsEntry("colour", spec.colour().label())
                        .containsEntry("background", spec.background().label())
                        .containsEntry("style", spec.style().label())
                        .containsEntry("split", (spec.shape().ordinal() + spec.colour().ordinal()) % 4 == 0
                                ? "held_out" : "train");
                assertThat(Double.parseDouble(example.fields().get("x"))).isEqualTo(spec.x());
                assertThat(Double.parseDouble(example.fields().get("radius"))).isEqualTo(spec.radius());
                // PNG round trip and the no-op 16 → 16 resize keep the rendered pixels exactly
                NDArray expected = Images.toTensor(ShapesRenderer.render(spec, 16), manager);
                assertThat(batch.get(b).toFloatArray()).containsExactly(expected.toFloatArray());
            }
        }
        assertThat(data.example(4).fields().get("file_name")).isEqualTo("outline-00000.png");
    }

    @Test
    void metadataLinesCarryEveryLabel() throws IOException {
        ShapesDataset.generate(dir.resolve("m"), List.of(Style.SPECKLE), 3, 1,
                ShapesOptions.builder().optImageSize(16).optStyleInCaption(true).build());
        List<String> lines = Files.readAllLines(dir.resolve("m/metadata.jsonl"));
        assertThat(lines).hasSize(3);
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        List<String> keys = first.properties().stream().map(Map.Entry::getKey).toList();
        assertThat(keys).containsExactly("file_name", "text", "shape", "colour", "background", "style", "split",
                "x", "y", "radius");
        assertThat(first.get("text").asText()).startsWith("speckle style, a").endsWith(" background");
        assertThat(first.get("split").asText()).isEqualTo("train");

        ShapesDataset.generate(dir.resolve("h"), List.of(Style.PLAIN), 3, 1,
                ShapesOptions.builder().optImageSize(16).optSplit(Split.HELD_OUT).build());
        assertThat(Files.readAllLines(dir.resolve("h/metadata.jsonl")))
                .allSatisfy(line -> assertThat(line).contains("\"split\":\"held_out\""));
    }

    @Test
    void documentedExampleLineIsWhatGenerateWrites() throws IOException {
        // docs/data.md and the ShapesDataset Javadoc quote this line
        ShapesDataset.generate(dir.resolve("doc"), List.of(Style.STRIPES), 1, 1, ShapesOptions.defaults());
        assertThat(Files.readString(dir.resolve("doc/metadata.jsonl"))).isEqualTo("{\"file_name\":\"stripes-00000.png\","
                + "\"text\":\"a magenta square on a navy background\",\"shape\":\"square\",\"colour\":\"magenta\","
                + "\"background\":\"navy\",\"style\":\"stripes\",\"split\":\"train\",\"x\":0.53515625,"
                + "\"y\":0.40234375,\"radius\":0.359375}\n");
    }

    @Test
    void refusesToOverwriteAndReplacesOnlyAnEmptyFolder() throws IOException {
        Path used = Files.createDirectories(dir.resolve("used"));
        Files.writeString(used.resolve("keep.txt"), "mine");
        assertThatThrownBy(() -> ShapesDataset.generate(used, List.of(Style.PLAIN), 2, 1, SMALL))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already exists");
        assertThat(listing(used)).containsExactly("keep.txt");

        Path empty = Files.createDirectories(dir.resolve("empty"));
        ShapesDataset.generate(empty, List.of(Style.PLAIN), 2, 1, SMALL);
        assertThat(listing(empty)).containsExactly("metadata.jsonl", "plain-00000.png", "plain-00001.png");

        assertThatThrownBy(() -> ShapesDataset.generate(dir.resolve("x"), List.of(Style.PLAIN, Style.PLAIN), 2, 1, SMALL))
                .hasMessageContaining("distinct");
        assertThatThrownBy(() -> ShapesDataset.generate(dir.resolve("x"), List.of(Style.PLAIN), 0, 1, SMALL))
                .hasMessageContaining("count");
        assertThatThrownBy(() -> ShapesDataset.specs(Style.PLAIN, 1, 1, ShapesOptions.builder()
                .optShapes(List.of(ShapeKind.CIRCLE)).optColours(List.of(Colour.RED)).build()))
                .hasMessageContaining("TRAIN split");
        assertThat(listing(dir)).containsExactly("empty", "used");
    }
}
