package io.sara4j.diffusion.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The check of every image in {@link ImageCaptionDataset#open}: pixel cap, full decode, refuse or skip. */
class ImageValidationTest {
    private static final String TRUNCATED_REASON = "cannot decode image: Error reading PNG image data";
    private static final String HUGE_REASON = "60000x60000 = 3,600,000,000 pixels exceeds the cap of 89,478,485"
            + " (raise it with --max-image-pixels)";

    @TempDir
    Path dir;

    private static DatasetOptions.Builder options() {
        return DatasetOptions.builder().setResolution(8);
    }

    /** A PNG of random pixels (random so the compressed data is long enough to cut). */
    private static byte[] png(int width, int height, long seed) throws IOException {
        return encode(noise(width, height, seed), "png");
    }

    private static BufferedImage noise(int width, int height, long seed) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return image;
    }

    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, format, out)).isTrue();
        return out.toByteArray();
    }

    /**
     * A tiny valid PNG whose IHDR claims width × height. The IHDR chunk starts after the 8-byte
     * signature: length (4), "IHDR" (4), width (4), height (4), 5 more bytes, then the CRC-32 of
     * type + data, which must be recomputed or the header read fails for a different reason.
     */
    static byte[] pngClaiming(int width, int height) throws IOException {
        byte[] bytes = png(2, 2, 1);
        assertThat(new String(bytes, 12, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("IHDR");
        ByteBuffer buffer = ByteBuffer.wrap(bytes); // big-endian, as PNG
        buffer.putInt(16, width).putInt(20, height);
        CRC32 crc = new CRC32();
        crc.update(bytes, 12, 4 + 13);
        buffer.putInt(29, (int) crc.getValue());
        return bytes;
    }

    /**
     * 18 metadata lines: 16 good PNGs, a truncated PNG at line 9 and a PNG claiming 60000 × 60000
     * at line 18.
     */
    private void sixteenGoodTwoBad() throws IOException {
        List<String> lines = new ArrayList<>();
        int good = 0;
        for (int line = 1; line <= 18; line++) {
            String name;
            if (line == 9) {
                name = "broken.png";
                byte[] whole = png(16, 16, 99);
                Files.write(dir.resolve(name), Arrays.copyOf(whole, whole.length * 2 / 3));
            } else if (line == 18) {
                name = "huge.png";
                Files.write(dir.resolve(name), pngClaiming(60000, 60000));
            } else {
                name = String.format("%04d.png", good);
                Files.write(dir.resolve(name), png(16, 12, good++));
            }
            lines.add("{\"file_name\": \"" + name + "\", \"text\": \"image " + line + "\"}");
        }
        Files.write(dir.resolve("metadata.jsonl"), lines);
    }

    @Test
    void patchedHeaderReallyClaimsTheSize() throws IOException {
        Path file = dir.resolve("huge.png");
        Files.write(file, pngClaiming(60000, 60000));
        var reader = ImageIO.getImageReadersByFormatName("png").next();
        try (var in = ImageIO.createImageInputStream(file.toFile())) {
            reader.setInput(in);
            assertThat(reader.getWidth(0)).isEqualTo(60000);
            assertThat(reader.getHeight(0)).isEqualTo(60000);
        } finally {
            reader.dispose();
        }
    }

    @Test
    void badImagesAreAllRefusedBeforeTrainingWithTheirLines() throws IOException {
        sixteenGoodTwoBad();
        assertThatThrownBy(() -> ImageCaptionDataset.open(dir, options().build()))
                .isInstanceOfSatisfying(BadImagesException.class, e -> {
                    assertThat(e.total()).isEqualTo(18);
                    assertThat(e.badImages()).extracting(BadImage::line).containsExactly(9, 18);
                    assertThat(e.badImages()).extracting(BadImage::reason)
                            .containsExactly(TRUNCATED_REASON, HUGE_REASON);
                })
                .hasMessageStartingWith(dir.resolve("metadata.jsonl") + ": 2 of 18 images cannot be used")
                .hasMessageContaining("--skip-bad-images")
                .hasMessageContaining("\n  metadata.jsonl line 9: broken.png: " + TRUNCATED_REASON)
                .hasMessageContaining("\n  metadata.jsonl line 18: huge.png: " + HUGE_REASON);
    }

    @Test
    void skippingLeavesTheSixteenGoodImagesAndReportsTheTwo() throws IOException {
        sixteenGoodTwoBad();
        ImageCaptionDataset data = ImageCaptionDataset.open(dir, options().optSkipBadImages(true).build());
        assertThat(data.size()).isEqualTo(16);
        assertThat(data.example(8).line()).isEqualTo(10); // indices skip line 9; lines keep their numbers
        assertThat(data.example(8).imageFile().getFileName().toString()).isEqualTo("0008.png");
        assertThat(data.skipped()).extracting(BadImage::fileName).containsExactly("broken.png", "huge.png");
        assertThat(data.skipReport()).isEqualTo("skipped 2 of 18 images:"
                + "\n  metadata.jsonl line 9: broken.png: " + TRUNCATED_REASON
                + "\n  metadata.jsonl line 18: huge.png: " + HUGE_REASON);
        for (int i = 0; i < data.size(); i++) {
            assertThat(data.image(i, new SplitMix64(i)).width()).isEqualTo(8); // every kept image decodes
        }
    }

    @Test
    void aCleanFolderSkipsNothing() throws IOException {
        Files.write(dir.resolve("a.png"), png(4, 4, 1));
        Files.writeString(dir.resolve("metadata.jsonl"), "{\"file_name\": \"a.png\", \"text\": \"a\"}\n");
        ImageCaptionDataset data = ImageCaptionDataset.open(dir, options().optSkipBadImages(true).build());
        assertThat(data.skipped()).isEmpty();
        assertThat(data.skipReport()).isEmpty();
    }

    @Test
    void theCapIsOverridableAndAllBadIsRefusedEvenWhenSkipping() throws IOException {
        sixteenGoodTwoBad();
        // 16 × 12 = 192 pixels: a cap of 191 makes every image bad, which skipping cannot rescue
        assertThatThrownBy(() -> ImageCaptionDataset.open(dir,
                        options().optSkipBadImages(true).optMaxImagePixels(191).build()))
                .isInstanceOf(BadImagesException.class)
                .hasMessageStartingWith(dir.resolve("metadata.jsonl") + ": all 18 images are unusable")
                .hasMessageContaining("line 1: 0000.png: 16x12 = 192 pixels exceeds the cap of 191");
        // a cap of 192 lets them through; the huge one is still refused by its header
        ImageCaptionDataset data = ImageCaptionDataset.open(dir,
                options().optSkipBadImages(true).optMaxImagePixels(192).build());
        assertThat(data.size()).isEqualTo(16);
        assertThatThrownBy(() -> options().optMaxImagePixels(0).build()).hasMessageContaining("maxImagePixels");
    }

    @Test
    void jpegIsReadAndNonImagesMissingFilesAndTruncatedJpegsAreNamed() throws IOException {
        Files.write(dir.resolve("photo.jpg"), encode(noise(16, 16, 3), "jpg"));
        byte[] jpeg = encode(noise(32, 32, 4), "jpg");
        Files.write(dir.resolve("cut.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
        Files.writeString(dir.resolve("notes.txt"), "not an image");
        Files.write(dir.resolve("metadata.jsonl"), List.of(
                "{\"file_name\": \"photo.jpg\", \"text\": \"a photo\"}",
                "{\"file_name\": \"notes.txt\", \"text\": \"text\"}",
                "{\"file_name\": \"missing.png\", \"text\": \"gone\"}",
                "{\"file_name\": \"cut.jpg\", \"text\": \"half a photo\"}"));
        assertThatThrownBy(() -> ImageCaptionDataset.open(dir, options().build()))
                .hasMessageContaining("3 of 4 images cannot be used")
                .hasMessageContaining("line 2: notes.txt: not an image")
                .hasMessageContaining("line 3: missing.png: does not exist")
                .hasMessageContaining("line 4: cut.jpg: damaged image: ")
                .hasMessageNotContaining("photo.jpg");
        ImageCaptionDataset data = ImageCaptionDataset.open(dir, options().optSkipBadImages(true).build());
        assertThat(data.size()).isEqualTo(1);
        assertThat(data.example(0).caption()).isEqualTo("a photo");
    }

    @Test
    void cachingFillsTheCacheDuringTheCheck() throws IOException {
        Files.write(dir.resolve("a.png"), png(16, 8, 5));
        Files.writeString(dir.resolve("metadata.jsonl"), "{\"file_name\": \"a.png\", \"text\": \"a\"}\n");
        ImageCaptionDataset cached = ImageCaptionDataset.open(dir, options().optCacheImages(true).build());
        RgbImage before = cached.image(0, new SplitMix64(1));
        Files.delete(dir.resolve("a.png")); // the check already decoded and kept it
        assertThat(cached.image(0, new SplitMix64(1)).pixels()).containsExactly(before.pixels());
    }
}
