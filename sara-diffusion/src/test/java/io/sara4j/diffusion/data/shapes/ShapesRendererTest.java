package io.sara4j.diffusion.data.shapes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

class ShapesRendererTest {
    private static ShapesSpec spec(ShapeKind shape, Style style, double x, double y, double radius) {
        return new ShapesSpec(shape, Colour.RED, Background.BLACK, style, x, y, radius, 1);
    }

    /** The silhouette as rows of '#' (inside) and '.' (outside). */
    private static String ascii(boolean[] mask, int size) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < mask.length; i++) {
            s.append(mask[i] ? '#' : '.').append(i % size == size - 1 ? "\n" : "");
        }
        return s.toString();
    }

    @Test
    void smallShapesMatchHandDrawnMasks() {
        // 8 × 8, centre (4, 4) px, radius 3 px: pixel centres sit at offsets ±0.5, ±1.5, ±2.5, ±3.5.
        String[][] expected = {
            {"CIRCLE", "........\n..####..\n.######.\n.######.\n.######.\n.######.\n..####..\n........\n"},
            {"SQUARE", "........\n.######.\n.######.\n.######.\n.######.\n.######.\n.######.\n........\n"},
            {"TRIANGLE", "........\n........\n...##...\n...##...\n..####..\n..####..\n.######.\n........\n"},
            {"DIAMOND", "........\n...##...\n..####..\n.######.\n.######.\n..####..\n...##...\n........\n"},
            {"CROSS", "........\n...##...\n...##...\n.######.\n.######.\n...##...\n...##...\n........\n"},
            {"RING", "........\n..####..\n.######.\n.##..##.\n.##..##.\n.######.\n..####..\n........\n"},
        };
        assertThat(expected.length).isEqualTo(ShapeKind.values().length);
        for (String[] e : expected) {
            ShapeKind shape = ShapeKind.valueOf(e[0]);
            assertThat(ascii(ShapesRenderer.silhouette(spec(shape, Style.PLAIN, 0.5, 0.5, 0.375), 8), 8))
                    .as(e[0]).isEqualTo(e[1]);
        }
    }

    @Test
    void generatedShapesMatchTheirDefinitionInExactIntegerArithmetic() {
        // Generated centres are multiples of 1/256 and radii of 1/128. Scaled by 256·N every
        // coordinate is an integer: pixel centre 128(2p + 1), centre N·c, radius 2N·a; the
        // definitions are then checked in long.
        Set<ShapeKind> seen = EnumSet.noneOf(ShapeKind.class);
        for (int size : new int[] {16, 32, 64}) {
            ShapesOptions all = ShapesOptions.builder().optSplit(Split.ALL).optImageSize(size).build();
            for (ShapesSpec s : ShapesDataset.specs(Style.PLAIN, 40, size, all)) {
                long i = Math.round(s.x() * 256);
                long j = Math.round(s.y() * 256);
                long a = Math.round(s.radius() * 128);
                assertThat(i / 256.0).isEqualTo(s.x());
                assertThat(j / 256.0).isEqualTo(s.y());
                assertThat(a / 128.0).isEqualTo(s.radius());
                boolean[] mask = ShapesRenderer.silhouette(s, size);
                List<String> wrong = new ArrayList<>();
                for (int py = 0; py < size; py++) {
                    for (int px = 0; px < size; px++) {
                        long dx = 128L * (2 * px + 1) - (long) size * i;
                        long dy = 128L * (2 * py + 1) - (long) size * j;
                        long r = 2L * size * a;
                        if (mask[py * size + px] != reference(s.shape(), dx, dy, r)) {
                            wrong.add("(" + px + ", " + py + ")");
                        }
                    }
                }
                assertThat(wrong).as("%s at size %d", s, size).isEmpty();
                seen.add(s.shape());
            }
        }
        assertThat(seen).containsExactlyInAnyOrder(ShapeKind.values());
    }

    private static boolean reference(ShapeKind shape, long dx, long dy, long r) {
        long ax = Math.abs(dx);
        long ay = Math.abs(dy);
        return switch (shape) {
            case CIRCLE -> dx * dx + dy * dy <= r * r;
            case SQUARE -> ax <= r && ay <= r;
            case TRIANGLE -> dy <= r && 2 * ax <= dy + r;
            case DIAMOND -> ax + ay <= r;
            case CROSS -> (3 * ax <= r && ay <= r) || (3 * ay <= r && ax <= r);
            case RING -> 4 * (dx * dx + dy * dy) >= r * r && dx * dx + dy * dy <= r * r;
        };
    }

    @Test
    void plainColoursAndBackgroundsAreExact() {
        assertThat(Colour.RED.rgb()).isEqualTo(0xff0000);
        assertThat(Colour.ORANGE.rgb()).isEqualTo(0xff8000);
        assertThat(Colour.GREEN.rgb()).isEqualTo(0x00c800);
        assertThat(Colour.BLUE.rgb()).isEqualTo(0x0040ff);
        assertThat(Colour.WHITE.shade()).isEqualTo(0x7f7f7f);
        assertThat(Background.GRAY.rgb()).isEqualTo(0x606060);
        assertThat(Background.NAVY.rgb()).isEqualTo(0x000080);
        for (Colour colour : Colour.values()) {
            for (Background background : Background.values()) {
                ShapesSpec s = new ShapesSpec(ShapeKind.CIRCLE, colour, background, Style.PLAIN, 0.5, 0.5, 0.3, 0);
                int[] pixels = ShapesRenderer.pixels(s, 32);
                boolean[] mask = ShapesRenderer.silhouette(s, 32);
                for (int i = 0; i < pixels.length; i++) {
                    assertThat(pixels[i]).isEqualTo(mask[i] ? colour.rgb() : background.rgb());
                }
                // what the BufferedImage holds is the same
                assertThat(ShapesRenderer.render(s, 32).getRGB(16, 16) & 0xffffff).isEqualTo(colour.rgb());
            }
        }
    }

    @Test
    void texturedStylesKeepTheSilhouetteAndChangeOnlyTones() {
        for (Style style : Style.values()) {
            if (style == Style.OUTLINE) {
                continue;
            }
            for (ShapeKind shape : ShapeKind.values()) {
                for (Colour colour : Colour.values()) {
                    for (Background background : Background.values()) {
                        ShapesSpec s = new ShapesSpec(shape, colour, background, style, 0.46875, 0.53125, 0.34375, 9);
                        int[] pixels = ShapesRenderer.pixels(s, 32);
                        boolean[] mask = ShapesRenderer.silhouette(s, 32);
                        Set<Integer> tones = new HashSet<>();
                        int wrong = 0;
                        for (int i = 0; i < pixels.length; i++) {
                            boolean shown = pixels[i] != background.rgb();
                            if (shown != mask[i] || (mask[i] && !between(pixels[i], colour.shade(), colour.rgb()))) {
                                wrong++;
                            }
                            if (mask[i]) {
                                tones.add(pixels[i]);
                            }
                        }
                        assertThat(wrong).as("%s: pixels off the silhouette or outside [shade, colour]", s).isZero();
                        if (style == Style.PLAIN) {
                            assertThat(tones).containsExactly(colour.rgb());
                        } else {
                            assertThat(tones).as("%s is textured", s).hasSizeGreaterThan(1);
                        }
                    }
                }
            }
        }
    }

    /** Whether every channel of {@code tone} lies between those of {@code low} and {@code high}. */
    private static boolean between(int tone, int low, int high) {
        for (int shift = 16; shift >= 0; shift -= 8) {
            int t = (tone >> shift) & 0xff;
            if (t < ((low >> shift) & 0xff) || t > ((high >> shift) & 0xff)) {
                return false;
            }
        }
        return true;
    }

    @Test
    void outlineKeepsTheBorderAndTheExtent() {
        for (int size : new int[] {16, 32, 64}) {
            int thickness = Math.max(1, size / 32);
            for (ShapeKind shape : ShapeKind.values()) {
                ShapesSpec s = spec(shape, Style.OUTLINE, 0.5, 0.5, 0.375);
                int[] pixels = ShapesRenderer.pixels(s, size);
                boolean[] mask = ShapesRenderer.silhouette(s, size);
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        int i = y * size + x;
                        boolean painted = pixels[i] == Colour.RED.rgb();
                        assertThat(painted || pixels[i] == Background.BLACK.rgb()).isTrue();
                        // painted exactly when inside and some outside pixel is within Manhattan distance t
                        boolean nearOutside = false;
                        for (int dy = -thickness; dy <= thickness; dy++) {
                            for (int dx = -thickness; dx <= thickness; dx++) {
                                int nx = x + dx;
                                int ny = y + dy;
                                boolean outside = nx < 0 || ny < 0 || nx >= size || ny >= size || !mask[ny * size + nx];
                                nearOutside |= Math.abs(dx) + Math.abs(dy) <= thickness && outside;
                            }
                        }
                        assertThat(painted).as("%s (%d, %d) size %d", shape, x, y, size)
                                .isEqualTo(mask[i] && nearOutside);
                    }
                }
                assertThat(boundingBox(pixels, Colour.RED.rgb(), size)).containsExactly(boundingBox(mask, size));
            }
        }
    }

    private static int[] boundingBox(int[] pixels, int rgb, int size) {
        boolean[] mask = new boolean[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            mask[i] = pixels[i] == rgb;
        }
        return boundingBox(mask, size);
    }

    private static int[] boundingBox(boolean[] mask, int size) {
        int[] box = {size, size, -1, -1};
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                box[0] = Math.min(box[0], i % size);
                box[1] = Math.min(box[1], i / size);
                box[2] = Math.max(box[2], i % size);
                box[3] = Math.max(box[3], i / size);
            }
        }
        return box;
    }

    @Test
    void texturesFollowTheirDocumentedPatterns() {
        // A square of radius ½ centred in a 32 × 32 image covers every pixel; u = 2.
        int red = Colour.RED.rgb();
        int dark = Colour.RED.shade();
        int[] stripes = ShapesRenderer.pixels(spec(ShapeKind.SQUARE, Style.STRIPES, 0.5, 0.5, 0.5), 32);
        assertThat(new int[] {stripes[0], stripes[32], stripes[64], stripes[96], stripes[128]})
                .containsExactly(red, red, dark, dark, red);
        int[] checker = ShapesRenderer.pixels(spec(ShapeKind.SQUARE, Style.CHECKER, 0.5, 0.5, 0.5), 32);
        assertThat(new int[] {checker[0], checker[3], checker[4], checker[4 * 32], checker[4 * 32 + 4]})
                .containsExactly(red, red, dark, dark, red);
        int[] dots = ShapesRenderer.pixels(spec(ShapeKind.SQUARE, Style.DOTS, 0.5, 0.5, 0.5), 32);
        // dot centred at (4, 4): (3, 3) offset (−½, −½) in; (4, 1) offset (½, −2½): 1 + 25 ≤ 28 in;
        // (5, 1) offset (1½, −2½): 9 + 25 > 28 out; (0, 0) out
        assertThat(new int[] {dots[3 * 32 + 3], dots[32 + 4], dots[32 + 5], dots[0]})
                .containsExactly(dark, dark, red, red);
        int[] gradient = ShapesRenderer.pixels(spec(ShapeKind.SQUARE, Style.GRADIENT, 0.5, 0.5, 0.5), 32);
        // red channel 255 − round(128 · t), t = (row + ½) / 32: row 0 → 253, row 31 → 129
        assertThat(gradient[0]).isEqualTo(253 << 16);
        assertThat(gradient[31 * 32]).isEqualTo(129 << 16);
        assertThat(gradient[0]).isEqualTo(gradient[31]); // constant along a row
    }

    @Test
    void speckleFollowsTheTextureSeed() {
        ShapesSpec a = spec(ShapeKind.SQUARE, Style.SPECKLE, 0.5, 0.5, 0.5);
        ShapesSpec b = new ShapesSpec(ShapeKind.SQUARE, Colour.RED, Background.BLACK, Style.SPECKLE, 0.5, 0.5, 0.5, 2);
        int[] pa = ShapesRenderer.pixels(a, 64);
        assertThat(ShapesRenderer.pixels(a, 64)).containsExactly(pa);
        assertThat(ShapesRenderer.pixels(b, 64)).isNotEqualTo(pa);
        long dark = Arrays.stream(pa).filter(p -> p == Colour.RED.shade()).count();
        assertThat(dark / 4096.0).isBetween(0.30, 0.37);
    }

    @Test
    void pixelsAreFixedForGivenSpecs() {
        // A checksum of every style and shape at 32 × 32: it changes only if the drawing rules change,
        // which would change every generated benchmark (update docs/data.md then).
        CRC32 crc = new CRC32();
        List<ShapesSpec> specs = ShapesDataset.specs(Style.PLAIN, 12, 2024,
                ShapesOptions.builder().optSplit(Split.ALL).build());
        for (Style style : Style.values()) {
            for (ShapesSpec s : specs) {
                for (int p : ShapesRenderer.pixels(s.withStyle(style), 32)) {
                    crc.update(p >> 16);
                    crc.update(p >> 8);
                    crc.update(p);
                }
            }
        }
        assertThat(Long.toHexString(crc.getValue())).isEqualTo("489ccb0a");
    }

    @Test
    void rejectsTooSmallImagesAndBadSpecs() {
        assertThatThrownBy(() -> ShapesRenderer.render(spec(ShapeKind.CIRCLE, Style.PLAIN, 0.5, 0.5, 0.3), 4))
                .hasMessageContaining("at least 8");
        assertThatThrownBy(() -> spec(ShapeKind.CIRCLE, Style.PLAIN, 0.5, 0.5, 0))
                .hasMessageContaining("radius");
        assertThatThrownBy(() -> spec(ShapeKind.CIRCLE, Style.PLAIN, Double.NaN, 0.5, 0.3))
                .hasMessageContaining("finite");
    }
}
