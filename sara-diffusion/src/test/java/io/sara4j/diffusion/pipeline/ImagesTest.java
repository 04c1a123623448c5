package io.sara4j.diffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class ImagesTest {
    @Test
    void pixelsMapToMinusOneToOneAndBack() {
        BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, (255 << 16) | (0 << 8) | 51);
        image.setRGB(1, 0, (128 << 16) | (255 << 8) | 0);
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            NDArray t = Images.toTensor(image, m);
            assertThat(t.getShape()).isEqualTo(new Shape(3, 1, 2));
            // channel-major: R of both pixels, then G, then B; v = p / 127.5 - 1
            assertThat(t.toFloatArray()).containsExactly(
                    1f, 128 / 127.5f - 1f, -1f, 1f, 51 / 127.5f - 1f, -1f);
            BufferedImage back = Images.toImage(t);
            assertThat(back.getRGB(0, 0) & 0xffffff).isEqualTo(image.getRGB(0, 0) & 0xffffff);
            assertThat(back.getRGB(1, 0) & 0xffffff).isEqualTo(image.getRGB(1, 0) & 0xffffff);
        }
    }

    @Test
    void pngRoundTripIsLossless(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        BufferedImage image = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < 6; i++) {
            image.setRGB(i % 3, i / 3, 0x102030 * (i + 1));
        }
        java.nio.file.Path file = dir.resolve("x.png");
        Images.writePng(image, file);
        BufferedImage back = Images.read(file);
        for (int i = 0; i < 6; i++) {
            assertThat(back.getRGB(i % 3, i / 3) & 0xffffff).isEqualTo((0x102030 * (i + 1)) & 0xffffff);
        }
        try (var files = java.nio.file.Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void gridPlacesTilesRowByRowWithGaps() {
        java.util.List<BufferedImage> tiles = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            BufferedImage t = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
            for (int p = 0; p < 4; p++) {
                t.setRGB(p % 2, p / 2, 0x010101 * (10 * i + p + 1));
            }
            tiles.add(t);
        }
        BufferedImage g = Images.grid(tiles, 2, 1);
        assertThat(g.getWidth()).isEqualTo(5);
        assertThat(g.getHeight()).isEqualTo(5);
        assertThat(g.getRGB(0, 0) & 0xffffff).isEqualTo(0x010101);        // tile 0, pixel 0
        assertThat(g.getRGB(3, 1) & 0xffffff).isEqualTo(0x010101 * 13);   // tile 1 at x 3..4, pixel (0,1)
        assertThat(g.getRGB(2, 0) & 0xffffff).isZero();                   // gap column
        assertThat(g.getRGB(1, 4) & 0xffffff).isEqualTo(0x010101 * 24);   // tile 2 on row 2, pixel (1,1)
        assertThat(g.getRGB(4, 4) & 0xffffff).isZero();                   // empty cell
        BufferedImage odd = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        assertThatThrownBy(() -> Images.grid(java.util.List.of(tiles.get(0), odd), 2, 0)).hasMessageContaining("image 1 is 3x2");
    }

    @Test
    void valuesOutsideRangeAreClamped() {
        assertThat(Images.toByte(-3f)).isZero();
        assertThat(Images.toByte(2.5f)).isEqualTo(255);
        assertThat(Images.toByte(0f)).isEqualTo(128); // round(127.5)
    }

    @Test
    void wrongShapeIsRejectedWithTheShape() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            assertThatThrownBy(() -> Images.toImage(m.zeros(new Shape(4, 2, 2))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(4, 2, 2)");
        }
    }
}
