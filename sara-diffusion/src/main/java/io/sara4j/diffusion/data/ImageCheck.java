package io.sara4j.diffusion.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes one image file the safe way: the header's width and height are read first and checked
 * against a pixel cap, so a file claiming 60000 × 60000 pixels is refused without allocating
 * them, and only then are the pixels decoded, all of them, so truncated or corrupt data is found.
 *
 * <p>Every failure is an {@link IOException} whose message is the reason alone (the caller adds the
 * metadata line and file name). A warning from the decoder counts as damage: Java's JPEG reader
 * only warns on a truncated file ("Premature end of JPEG file") and fills the rest with grey, where
 * Pillow, which the Python trainers use, raises an error.
 */
final class ImageCheck {
    private ImageCheck() {}

    /** The fully decoded image, first reader that recognises the header (as {@code ImageIO.read}). */
    static BufferedImage decode(Path file, long maxPixels) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("does not exist");
        }
        if (!Files.isReadable(file)) {
            throw new IOException("cannot be read (permissions)");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new IOException("not an image (no reader recognises its header; expected PNG, JPEG, BMP or GIF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long width = header(reader, true);
                long height = header(reader, false);
                if (width < 1 || height < 1) {
                    throw new IOException("has no pixels (" + width + "x" + height + ")");
                }
                if (width * height > maxPixels) {
                    throw new IOException(String.format(Locale.ROOT,
                            "%dx%d = %,d pixels exceeds the cap of %,d (raise it with --max-image-pixels)",
                            width, height, width * height, maxPixels));
                }
                StringBuilder warnings = new StringBuilder();
                IIOReadWarningListener listener = (source, warning) ->
                        warnings.append(warnings.length() == 0 ? "" : "; ").append(warning);
                reader.addIIOReadWarningListener(listener);
                BufferedImage image = decodePixels(reader);
                if (warnings.length() > 0) {
                    throw new IOException("damaged image: " + warnings);
                }
                return image;
            } finally {
                reader.dispose();
            }
        }
    }

    /** Width or height from the header alone: readers parse only the header for these. */
    private static long header(ImageReader reader, boolean width) throws IOException {
        try {
            return width ? reader.getWidth(0) : reader.getHeight(0);
        } catch (IOException | RuntimeException e) {
            throw new IOException("unreadable image header: " + message(e), e);
        }
    }

    private static BufferedImage decodePixels(ImageReader reader) throws IOException {
        try {
            return reader.read(0);
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot decode image: " + message(e), e);
        }
    }

    /** The exception's message, or its type when it has none (some decoders throw bare exceptions). */
    private static String message(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
