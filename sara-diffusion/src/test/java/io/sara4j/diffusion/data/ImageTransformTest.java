package io.sara4j.diffusion.data;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ImageTransformTest {
    /** 6 × 4: red varies along x (0, 70, 140, 210, 0, 0), green along y (0, 70, 140, 210), blue 7. */
    static RgbImage sixByFour() {
        int[] red = {0, 70, 140, 210, 0, 0};
        int[] green = {0, 70, 140, 210};
        int[] rgb = new int[24];
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 6; x++) {
                rgb[y * 6 + x] = (red[x] << 16) | (green[y] << 8) | 7;
            }
        }
        return RgbImage.of(6, 4, rgb);
    }

    @Test
    void bilinearShrinkMatchesHandComputedPixels() {
        // 6 × 4 → shorter side 2: 3 × 2 (int(2·6/4) = 3). Scale 2 stretches the triangle filter to
        // support 2, taps at source centres x + 0.5 around c = (xx + 0.5)·2:
        //   xx=0, c=1: sources 0,1,2 weights .75,.75,.25 → 3/7,3/7,1/7 → (0·3 + 70·3 + 140)/7 = 50
        //   xx=1, c=3: sources 1..4 weights 1/8,3/8,3/8,1/8 → (70 + 420 + 630 + 0)/8 = 140
        //   xx=2, c=5: sources 3,4,5 weights 1/7,3/7,3/7 → 210/7 = 30
        // rows the same way: yy=0 → 50, yy=1 → (70·1 + 140·3 + 210·3)/7 = 160
        RgbImage resized = new ImageTransform(2, Crop.CENTER, false, Interpolation.BILINEAR).resize(sixByFour());
        assertThat(resized.width()).isEqualTo(3);
        assertThat(resized.height()).isEqualTo(2);
        int[] red = {50, 140, 30};
        int[] green = {50, 160};
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                assertThat(resized.rgb(x, y)).as("(%d, %d)", x, y).isEqualTo((red[x] << 16) | (green[y] << 8) | 7);
            }
        }
    }

    @Test
    void centerCropRoundsHalfToEvenLikeTorchvision() {
        // one spare column: round(0.5) = 0 in Python, so the crop keeps the left two columns
        RgbImage square = new ImageTransform(2, Crop.CENTER, false, Interpolation.BILINEAR)
                .apply(sixByFour(), new SplitMix64(0));
        assertThat(square.pixels()).containsExactly(
                (50 << 16) | (50 << 8) | 7, (140 << 16) | (50 << 8) | 7,
                (50 << 16) | (160 << 8) | 7, (140 << 16) | (160 << 8) | 7);
        // spare 3 → round(1.5) = 2; spare 5 → round(2.5) = 2
        assertThat(leftOfCenterCrop(5)).isEqualTo(2);
        assertThat(leftOfCenterCrop(7)).isEqualTo(2);
        assertThat(leftOfCenterCrop(9)).isEqualTo(4); // round(3.5) = 4
    }

    /** Crops a width × 2 image whose red channel is the column index; returns the first kept column. */
    private static int leftOfCenterCrop(int width) {
        int[] rgb = new int[width * 2];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (i % width) << 16;
        }
        RgbImage square = new ImageTransform(2, Crop.CENTER, false, Interpolation.BILINEAR)
                .apply(RgbImage.of(width, 2, rgb), new SplitMix64(1));
        return square.rgb(0, 0) >> 16;
    }

    @Test
    void randomCropCoversEveryOffsetAndIsFixedBySeed() {
        int[] rgb = new int[6 * 2];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (i % 6) << 16;
        }
        RgbImage image = RgbImage.of(6, 2, rgb);
        ImageTransform random = new ImageTransform(2, Crop.RANDOM, false, Interpolation.BILINEAR);
        Set<Integer> lefts = new HashSet<>();
        for (long seed = 0; seed < 200; seed++) {
            int left = random.apply(image, new SplitMix64(seed)).rgb(0, 0) >> 16;
            assertThat(random.apply(image, new SplitMix64(seed)).rgb(0, 0) >> 16).isEqualTo(left);
            lefts.add(left);
        }
        assertThat(lefts).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
    }

    @Test
    void randomFlipMirrorsAboutHalfTheTime() {
        RgbImage image = RgbImage.of(2, 2, new int[] {1, 2, 3, 4});
        ImageTransform flip = new ImageTransform(2, Crop.CENTER, true, Interpolation.BILINEAR);
        int flipped = 0;
        for (long seed = 0; seed < 400; seed++) {
            int[] out = flip.apply(image, new SplitMix64(seed)).pixels();
            if (out[0] == 2) {
                assertThat(out).containsExactly(2, 1, 4, 3);
                flipped++;
            } else {
                assertThat(out).containsExactly(1, 2, 3, 4);
            }
        }
        assertThat(flipped).isBetween(150, 250);
        ImageTransform noFlip = new ImageTransform(2, Crop.CENTER, false, Interpolation.BILINEAR);
        for (long seed = 0; seed < 20; seed++) {
            assertThat(noFlip.apply(image, new SplitMix64(seed)).pixels()).containsExactly(1, 2, 3, 4);
        }
    }

    @Test
    void resizedSizeFollowsTorchvision() {
        assertThat(ImageTransform.resizedSize(7, 5, 3)).containsExactly(4, 3); // int(3·7/5) = int(4.2)
        assertThat(ImageTransform.resizedSize(5, 9, 4)).containsExactly(4, 7); // int(7.2)
        assertThat(ImageTransform.resizedSize(640, 480, 512)).containsExactly(682, 512);
        assertThat(ImageTransform.resizedSize(8, 8, 8)).containsExactly(8, 8);
    }

    @Test
    void matchesPillowResizeBytes() throws Exception {
        JsonNode fixture;
        try (InputStream in = getClass().getResourceAsStream("pil_resize.json")) {
            fixture = new ObjectMapper().readTree(in);
        }
        int checked = 0;
        for (JsonNode c : fixture.get("cases")) {
            RgbImage input = RgbImage.of(c.get("width").asInt(), c.get("height").asInt(), ints(c.get("input")));
            ImageTransform transform = new ImageTransform(c.get("resolution").asInt(), Crop.CENTER, false,
                    Interpolation.valueOf(c.get("interpolation").asText()));
            RgbImage out = transform.resize(input);
            String what = c.get("interpolation").asText() + " " + input.width() + "×" + input.height()
                    + " → R=" + transform.resolution();
            assertThat(out.width()).as(what).isEqualTo(c.get("out_width").asInt());
            assertThat(out.height()).as(what).isEqualTo(c.get("out_height").asInt());
            assertThat(out.pixels()).as(what).containsExactly(ints(c.get("output")));
            checked++;
        }
        assertThat(checked).isEqualTo(30);
    }

    private static int[] ints(JsonNode array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).asInt();
        }
        return values;
    }

    @Test
    void coverSizeFitsOneSideAndReducesToResizedSizeForSquares() {
        assertThat(ImageTransform.coverSize(768, 512, 640, 384)).containsExactly(640, 426); // int(640·512/768)
        assertThat(ImageTransform.coverSize(1200, 300, 1024, 256)).containsExactly(1024, 256);
        assertThat(ImageTransform.coverSize(100, 1000, 256, 1024)).containsExactly(256, 2560);
        int[][] sizes = {{7, 5}, {5, 9}, {640, 480}, {8, 8}, {3, 1000}};
        for (int[] size : sizes) {
            assertThat(ImageTransform.coverSize(size[0], size[1], 4, 4))
                    .containsExactly(ImageTransform.resizedSize(size[0], size[1], 4));
        }
    }

    @Test
    void coverThenCropGivesTheBucketShape() {
        int[] pixels = new int[12 * 8];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = i * 997;
        }
        RgbImage image = RgbImage.of(12, 8, pixels);
        for (Crop crop : Crop.values()) {
            ImageTransform transform = new ImageTransform(4, crop, true, Interpolation.BILINEAR);
            RgbImage covered = transform.resizeToCover(image, 5, 2);
            assertThat(covered.width()).isGreaterThanOrEqualTo(5);
            assertThat(covered.height()).isGreaterThanOrEqualTo(2);
            assertThat(covered.width() == 5 || covered.height() == 2).isTrue();
            RgbImage cut = transform.cropAndFlip(covered, 5, 2, new SplitMix64(3));
            assertThat(new int[] {cut.width(), cut.height()}).containsExactly(5, 2);
        }
        // a center crop of an exact fit is the resized image itself
        ImageTransform center = new ImageTransform(4, Crop.CENTER, false, Interpolation.BILINEAR);
        RgbImage exact = center.resizeToCover(image, 6, 4);
        assertThat(center.cropAndFlip(exact, 6, 4, new SplitMix64(0)).pixels()).containsExactly(exact.pixels());
    }
}
