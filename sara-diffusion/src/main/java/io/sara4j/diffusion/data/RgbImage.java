package io.sara4j.diffusion.data;

import io.sara4j.diffusion.pipeline.Images;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Path;

/**
 * An immutable 8-bit RGB image as packed 0xRRGGBB ints, row-major: 4 bytes a pixel on the Java
 * heap, with the resize, crop and flip operations of the training transform.
 *
 * <p>{@link #of(BufferedImage)} gives the channel values Pillow's {@code convert("RGB")} gives:
 * alpha is dropped (not composited), palettes are looked up, and grey images are read from their
 * raw samples, because Java's {@code getRGB} would pass them through a linear-grey colour space and
 * brighten them (grey 100 would become 168). Sixteen-bit samples keep their high byte (Pillow
 * does so for 16-bit RGB; it clips 16-bit grey instead, which is not copied).
 */
public final class RgbImage {
    private final int width;
    private final int height;
    private final int[] rgb;

    private RgbImage(int width, int height, int[] rgb) {
        this.width = width;
        this.height = height;
        this.rgb = rgb;
    }

    /**
     * An image of the given packed 0xRRGGBB pixels (row-major; bits above 24 are ignored). The
     * array is copied.
     */
    public static RgbImage of(int width, int height, int[] rgb) {
        if (width < 1 || height < 1 || rgb.length != (long) width * height) {
            throw new IllegalArgumentException("expected " + width + " × " + height + " pixels, found " + rgb.length);
        }
        int[] copy = new int[rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            copy[i] = rgb[i] & 0xffffff;
        }
        return new RgbImage(width, height, copy);
    }

    /** The RGB channels of {@code image} (see the class comment for grey, alpha and 16-bit images). */
    public static RgbImage of(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        int[] rgb = new int[w * h];
        Raster raster = image.getRaster();
        if (image.getColorModel() instanceof ComponentColorModel model && rawSamples(model)) {
            int shift = model.getComponentSize(0) - 8;
            boolean grey = model.getColorSpace().getType() == ColorSpace.TYPE_GRAY;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int r = raster.getSample(x, y, 0) >> shift;
                    int g = grey ? r : raster.getSample(x, y, 1) >> shift;
                    int b = grey ? r : raster.getSample(x, y, 2) >> shift;
                    rgb[y * w + x] = (r << 16) | (g << 8) | b;
                }
            }
        } else {
            image.getRGB(0, 0, w, h, rgb, 0, w);
            for (int i = 0; i < rgb.length; i++) {
                rgb[i] &= 0xffffff;
            }
        }
        return new RgbImage(w, h, rgb);
    }

    /** True where the raster holds plain sRGB or grey samples of 8 or 16 bits. */
    private static boolean rawSamples(ComponentColorModel model) {
        ColorSpace space = model.getColorSpace();
        boolean knownSpace = space.isCS_sRGB() || space.getType() == ColorSpace.TYPE_GRAY;
        int type = model.getTransferType();
        return knownSpace && (type == DataBuffer.TYPE_BYTE || type == DataBuffer.TYPE_USHORT)
                && model.getComponentSize(0) == (type == DataBuffer.TYPE_BYTE ? 8 : 16);
    }

    /** Decodes an image file (PNG, JPEG, BMP, GIF); the error names the file. */
    public static RgbImage read(Path file) throws IOException {
        return of(Images.read(file));
    }

    /** Width in pixels. */
    public int width() {
        return width;
    }

    /** Height in pixels. */
    public int height() {
        return height;
    }

    /** The packed 0xRRGGBB value at column x, row y. */
    public int rgb(int x, int y) {
        return rgb[y * width + x];
    }

    /** A copy of all pixels, row-major. */
    public int[] pixels() {
        return rgb.clone();
    }

    /** A {@code TYPE_INT_RGB} image with these pixels. */
    public BufferedImage toBufferedImage() {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, width, height, rgb, 0, width);
        return image;
    }

    /** Resized to newWidth × newHeight with Pillow's algorithm for {@code filter} (see {@link PillowResample}). */
    public RgbImage resize(int newWidth, int newHeight, Interpolation filter) {
        if (newWidth < 1 || newHeight < 1) {
            throw new IllegalArgumentException("cannot resize to " + newWidth + " × " + newHeight);
        }
        return new RgbImage(newWidth, newHeight,
                PillowResample.resize(rgb, width, height, newWidth, newHeight, filter));
    }

    /** The w × h region whose top-left pixel is (left, top); it must lie inside the image. */
    public RgbImage crop(int left, int top, int w, int h) {
        if (left < 0 || top < 0 || w < 1 || h < 1 || left + w > width || top + h > height) {
            throw new IllegalArgumentException("crop " + w + " × " + h + " at (" + left + ", " + top
                    + ") does not fit a " + width + " × " + height + " image");
        }
        int[] out = new int[w * h];
        for (int y = 0; y < h; y++) {
            System.arraycopy(rgb, (top + y) * width + left, out, y * w, w);
        }
        return new RgbImage(w, h, out);
    }

    /** Mirrored left to right. */
    public RgbImage flipHorizontal() {
        int[] out = new int[rgb.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                out[y * width + x] = rgb[y * width + width - 1 - x];
            }
        }
        return new RgbImage(width, height, out);
    }
}
