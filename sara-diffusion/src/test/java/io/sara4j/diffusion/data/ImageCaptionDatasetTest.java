package io.sara4j.diffusion.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import io.sara4j.diffusion.pipeline.Images;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageCaptionDatasetTest {
    @TempDir
    Path dir;
    NDManager manager;

    @BeforeEach
    void openManager() {
        manager = Engines.pytorch().newBaseManager();
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    private static DatasetOptions.Builder options(int resolution) {
        return DatasetOptions.builder().setResolution(resolution);
    }

    private void png(String name, RgbImage image) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Images.writePng(image.toBufferedImage(), file);
    }

    private void metadata(String... lines) throws IOException {
        Files.writeString(dir.resolve("metadata.jsonl"), String.join("\n", lines) + "\n");
    }

    private void twoImages() throws IOException {
        png("a.png", ImageTransformTest.sixByFour());
        png("sub/b.png", RgbImage.of(2, 2, new int[] {0xff0000, 0x00ff00, 0x0000ff, 0xffffff}));
    }

    @Test
    void readsExamplesWithPrefixedCaptionsAndExtraFields() throws IOException {
        twoImages();
        metadata("{\"file_name\": \"a.png\", \"text\": \"a castle\", \"shape\": \"circle\", \"n\": 3}",
                "",
                "{\"file_name\": \"sub/b.png\", \"text\": \"a dog\"}");
        ImageCaptionDataset data = ImageCaptionDataset.open(dir,
                options(2).optCaptionPrefix("Barbie style, ").build());
        assertThat(data.size()).isEqualTo(2);
        assertThat(data.example(0).imageFile()).isEqualTo(dir.toAbsolutePath().resolve("a.png"));
        assertThat(data.example(0).fields()).containsEntry("shape", "circle").containsEntry("n", "3")
                .containsEntry("text", "a castle");
        assertThat(data.example(1).line()).isEqualTo(3);
        assertThat(data.captions(new int[] {1, 0, 1}))
                .containsExactly("Barbie style, a dog", "Barbie style, a castle", "Barbie style, a dog");
    }

    @Test
    void customColumnsAreRead() throws IOException {
        twoImages();
        metadata("{\"image\": \"a.png\", \"prompt\": \"x\"}");
        ImageCaptionDataset data = ImageCaptionDataset.open(dir,
                options(2).optImageColumn("image").optCaptionColumn("prompt").build());
        assertThat(data.example(0).caption()).isEqualTo("x");
        assertThatThrownBy(() -> ImageCaptionDataset.open(dir, options(2).build()))
                .hasMessageContaining("metadata.jsonl:1: missing field \"file_name\"")
                .hasMessageContaining("[image, prompt]");
    }

    @Test
    void batchIsResizedCroppedAndScaledToMinusOneOne() throws IOException {
        twoImages();
        metadata("{\"file_name\": \"a.png\", \"text\": \"a\"}", "{\"file_name\": \"sub/b.png\", \"text\": \"b\"}");
        ImageCaptionDataset data = ImageCaptionDataset.open(dir, options(2).optCrop(Crop.CENTER).build());
        NDArray batch = data.images(manager, new int[] {0, 1});
        assertThat(batch.getShape()).isEqualTo(new Shape(2, 3, 2, 2));
        // example 0: hand-computed in ImageTransformTest (R 50 140 / 50 140, G 50 50 / 160 160, B 7)
        // example 1: already 2 × 2, unchanged; every value v ↦ v / 127.5 − 1
        float[] expected = {
            v(50), v(140), v(50), v(140), v(50), v(50), v(160), v(160), v(7), v(7), v(7), v(7),
            1, -1, -1, 1, -1, 1, -1, 1, -1, -1, 1, 1};
        assertThat(batch.toFloatArray()).containsExactly(expected);
    }

    private static float v(int pixel) {
        return pixel / 127.5f - 1f;
    }

    @Test
    void greyImagesKeepTheirValues() throws IOException {
        BufferedImage grey = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(0, 0, 0, 100);
        grey.getRaster().setSample(1, 0, 0, 200);
        ImageIO.write(grey, "png", dir.resolve("g.png").toFile());
        metadata("{\"file_name\": \"g.png\", \"text\": \"g\"}");
        ImageCaptionDataset data = ImageCaptionDataset.open(dir, options(1).optCrop(Crop.CENTER).build());
        // 2 × 1 → shorter side 1 is already 1: crop keeps column round(0.5) = 0, grey 100 in all channels
        assertThat(data.images(manager, new int[] {0}).toFloatArray()).containsExactly(v(100), v(100), v(100));
    }

    @Test
    void augmentationIsFixedBySeed() throws IOException {
        png("wide.png", RgbImage.of(6, 2, new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
        metadata("{\"file_name\": \"wide.png\", \"text\": \"w\"}");
        DatasetOptions random = options(2).optRandomFlip(true).optSeed(5).build();
        ImageCaptionDataset first = ImageCaptionDataset.open(dir, random);
        ImageCaptionDataset second = ImageCaptionDataset.open(dir, random);
        int[] batch = {0, 0, 0, 0};
        for (int call = 0; call < 3; call++) {
            assertThat(first.images(manager, batch).toFloatArray())
                    .containsExactly(second.images(manager, batch).toFloatArray());
        }
        assertThat(first.images(manager, batch, 77).toFloatArray())
                .containsExactly(second.images(manager, batch, 77).toFloatArray());
    }

    @Test
    void cacheKeepsDecodedImagesAndErrorsNameTheLine() throws IOException {
        twoImages();
        metadata("{\"file_name\": \"a.png\", \"text\": \"a\"}", "{\"file_name\": \"sub/b.png\", \"text\": \"b\"}");
        ImageCaptionDataset cached = ImageCaptionDataset.open(dir, options(2).optCacheImages(true).build());
        ImageCaptionDataset plain = ImageCaptionDataset.open(dir, options(2).build());
        float[] before = cached.images(manager, new int[] {1}, 3).toFloatArray();
        Files.writeString(dir.resolve("sub/b.png"), "no longer a png");
        assertThat(cached.images(manager, new int[] {1}, 3).toFloatArray()).containsExactly(before);
        assertThatThrownBy(() -> plain.images(manager, new int[] {0, 1}))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("metadata.jsonl line 2: sub/b.png: not an image")
                .hasMessageContaining("changed after the dataset was opened");
    }

    @Test
    void malformedJsonNamesFileAndLine() throws IOException {
        twoImages();
        metadata("{\"file_name\": \"a.png\", \"text\": \"a\"}", "{\"file_name\": \"a.png\", \"text\": }");
        assertThatThrownBy(() -> ImageCaptionDataset.open(dir, options(2).build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(dir.resolve("metadata.jsonl") + ":2: malformed JSON");
    }

    @Test
    void eachBadLineIsReportedWithItsNumber() throws IOException {
        twoImages();
        Files.writeString(dir.resolve("junk.png"), "not an image");
        metadata("[1, 2]",
                "{\"file_name\": \"a.png\"}",
                "{\"file_name\": \"a.png\", \"text\": [\"x\", \"y\"]}",
                "{\"file_name\": \"missing.png\", \"text\": \"m\"}",
                "{\"file_name\": \"junk.png\", \"text\": \"j\"}",
                "{\"file_name\": \"../outside.png\", \"text\": \"o\"}",
                "{\"file_name\": \"a.png\", \"text\": \"a\"} {}",
                "{\"file_name\": \"a.png\", \"text\": \"fine\"}");
        // lines 4 and 5 are well-formed: their images are checked after the metadata (ImageValidationTest)
        assertThatThrownBy(() -> ImageCaptionDataset.open(dir, options(2).build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("5 problems in " + dir.resolve("metadata.jsonl"))
                .hasMessageContaining("metadata.jsonl:1: expected a JSON object, found array")
                .hasMessageContaining("metadata.jsonl:2: missing field \"text\"")
                .hasMessageContaining("metadata.jsonl:3: field \"text\" must be a string, found array")
                .hasMessageContaining("metadata.jsonl:6: field \"file_name\" must be a file path relative")
                .hasMessageContaining("metadata.jsonl:7: malformed JSON")
                .hasMessageNotContaining("metadata.jsonl:4")
                .hasMessageNotContaining("metadata.jsonl:5")
                .hasMessageNotContaining("metadata.jsonl:8");
    }

    @Test
    void nonUtf8MetadataNamesTheLine() throws IOException {
        twoImages();
        byte[] good = "{\"file_name\": \"a.png\", \"text\": \"a\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] bad = {'{', '"', 't', '"', ':', '"', (byte) 0xff, '"', '}', '\n'};
        byte[] both = Arrays.copyOf(good, good.length + bad.length);
        System.arraycopy(bad, 0, both, good.length, bad.length);
        Files.write(dir.resolve("metadata.jsonl"), both);
        assertThatThrownBy(() -> ImageCaptionDataset.open(dir, options(2).build()))
                .hasMessageStartingWith(dir.resolve("metadata.jsonl") + ":2: not UTF-8");
    }

    @Test
    void missingMetadataAndEmptyDatasetAreNamed() throws IOException {
        assertThatThrownBy(() -> ImageCaptionDataset.open(dir, options(2).build()))
                .hasMessageStartingWith(dir.resolve("metadata.jsonl") + ": missing");
        assertThatThrownBy(() -> ImageCaptionDataset.open(dir.resolve("nope"), options(2).build()))
                .hasMessageContaining("nope: not a directory");
        metadata("", "   ");
        assertThatThrownBy(() -> ImageCaptionDataset.open(dir, options(2).build()))
                .hasMessageStartingWith(dir.resolve("metadata.jsonl") + ": no examples");
    }

    @Test
    void optionsRequireAResolution() {
        assertThatThrownBy(() -> DatasetOptions.builder().build()).hasMessageContaining("setResolution");
        assertThatThrownBy(() -> options(0).build()).hasMessageContaining("resolution");
        assertThatThrownBy(() -> options(8).optCaptionColumn("file_name").build())
                .hasMessageContaining("both 'file_name'");
        DatasetOptions defaults = options(8).build();
        assertThat(defaults.crop()).isEqualTo(Crop.RANDOM);
        assertThat(defaults.randomFlip()).isFalse();
        assertThat(defaults.interpolation()).isEqualTo(Interpolation.BILINEAR);
    }
}
