package io.sara4j.diffusion.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.core.nn.HostArrays;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Conversions between RGB images and the tensors the models use.
 *
 * <p>Model space is (3, H, W) float in [-1, 1], as the diffusers pipelines use for the VAE input
 * and output: pixel = round(clamp((x + 1) / 2, 0, 1) · 255).
 */
public final class Images {
    private Images() {}

    /** An RGB image as a (3, H, W) float32 tensor in [-1, 1]. */
    public static NDArray toTensor(BufferedImage image, NDManager manager) {
        int w = image.getWidth();
        int h = image.getHeight();
        float[] data = new float[3 * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = image.getRGB(x, y);
                int i = y * w + x;
                data[i] = ((rgb >> 16) & 0xff) / 127.5f - 1f;
                data[h * w + i] = ((rgb >> 8) & 0xff) / 127.5f - 1f;
                data[2 * h * w + i] = (rgb & 0xff) / 127.5f - 1f;
            }
        }
        return HostArrays.of(manager, data, new Shape(3, h, w));
    }

    /** A (3, H, W) tensor in [-1, 1] (values outside are clamped) as an RGB image. */
    public static BufferedImage toImage(NDArray chw) {
        Shape s = chw.getShape();
        if (s.dimension() != 3 || s.get(0) != 3) {
            throw new IllegalArgumentException("expected an image tensor of shape (3, H, W), found " + s);
        }
        int h = (int) s.get(1);
        int w = (int) s.get(2);
        float[] data = chw.toType(DataType.FLOAT32, false).toFloatArray();
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                int r = toByte(data[i]);
                int g = toByte(data[h * w + i]);
                int b = toByte(data[2 * h * w + i]);
                image.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return image;
    }

    /** One model-space value in [-1, 1] to a pixel byte. */
    static int toByte(float value) {
        float unit = Math.min(1f, Math.max(0f, (value + 1f) / 2f));
        return Math.round(unit * 255f);
    }

    /**
     * Tiles {@code images} (all of one size) row by row into a grid of {@code columns} columns,
     * with a {@code gap}-pixel black border between tiles.
     */
    public static BufferedImage grid(java.util.List<BufferedImage> images, int columns, int gap) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images to tile");
        }
        int w = images.get(0).getWidth();
        int h = images.get(0).getHeight();
        int cols = Math.max(1, Math.min(columns, images.size()));
        int rows = (images.size() + cols - 1) / cols;
        BufferedImage grid = new BufferedImage(cols * w + (cols - 1) * gap, rows * h + (rows - 1) * gap,
                BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < images.size(); i++) {
            BufferedImage tile = images.get(i);
            if (tile.getWidth() != w || tile.getHeight() != h) {
                throw new IllegalArgumentException("image " + i + " is " + tile.getWidth() + "x" + tile.getHeight()
                        + ", expected " + w + "x" + h + " like the first");
            }
            int x0 = (i % cols) * (w + gap);
            int y0 = (i / cols) * (h + gap);
            grid.setRGB(x0, y0, w, h, tile.getRGB(0, 0, w, h, null, 0, w), 0, w);
        }
        return grid;
    }

    /** Writes {@code image} as a PNG file atomically (temporary file, then rename). */
    public static void writePng(BufferedImage image, Path file) throws IOException {
        AtomicFiles.write(file, out -> {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException(file + ": no PNG writer available");
            }
        });
    }

    /** Reads an image file (PNG, JPEG, BMP) as RGB; the error names the file. */
    public static BufferedImage read(Path file) throws IOException {
        BufferedImage image = ImageIO.read(file.toFile());
        if (image == null) {
            throw new IOException(file + ": not a readable image (expected PNG, JPEG or BMP)");
        }
        return image;
    }
}
