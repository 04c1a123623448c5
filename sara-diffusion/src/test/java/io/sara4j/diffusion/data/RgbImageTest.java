package io.sara4j.diffusion.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RgbImageTest {
    @Test
    void alphaIsDroppedNotComposited() {
        // Pillow's convert("RGB") keeps the colour channels of a transparent pixel as they are
        BufferedImage packed = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
        packed.setRGB(0, 0, 0x000a141e);
        assertThat(RgbImage.of(packed).rgb(0, 0)).isEqualTo(0x0a141e);
        BufferedImage bytes = new BufferedImage(1, 1, BufferedImage.TYPE_4BYTE_ABGR);
        bytes.getRaster().setPixel(0, 0, new int[] {200, 100, 50, 128});
        assertThat(RgbImage.of(bytes).rgb(0, 0)).isEqualTo(0xc86432);
    }

    @Test
    void paletteGreyAndSixteenBitImagesGiveTheirStoredValues(@TempDir Path dir) throws Exception {
        byte[] r = {10, (byte) 200};
        byte[] g = {20, 100};
        byte[] b = {30, 50};
        BufferedImage palette = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(1, 2, r, g, b));
        palette.getRaster().setSample(1, 0, 0, 1);
        assertThat(RgbImage.of(palette).pixels()).containsExactly(0x0a141e, 0xc86432);

        BufferedImage grey16 = new BufferedImage(1, 1, BufferedImage.TYPE_USHORT_GRAY);
        grey16.getRaster().setSample(0, 0, 0, 40000); // high byte 156
        assertThat(RgbImage.of(grey16).rgb(0, 0)).isEqualTo(0x9c9c9c);

        // the same through a PNG file, as datasets read them
        ImageIO.write(grey16, "png", dir.resolve("g16.png").toFile());
        assertThat(RgbImage.read(dir.resolve("g16.png")).rgb(0, 0)).isEqualTo(0x9c9c9c);
    }

    @Test
    void cropAndFlipMoveThePixelsTheySay() {
        RgbImage image = RgbImage.of(3, 2, new int[] {1, 2, 3, 4, 5, 6});
        assertThat(image.crop(1, 0, 2, 2).pixels()).containsExactly(2, 3, 5, 6);
        assertThat(image.flipHorizontal().pixels()).containsExactly(3, 2, 1, 6, 5, 4);
        assertThat(image.resize(3, 2, Interpolation.BICUBIC).pixels()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThatThrownBy(() -> image.crop(2, 0, 2, 2)).hasMessageContaining("does not fit a 3 × 2 image");
        assertThatThrownBy(() -> RgbImage.of(2, 2, new int[3])).hasMessageContaining("expected 2 × 2 pixels");
    }
}
