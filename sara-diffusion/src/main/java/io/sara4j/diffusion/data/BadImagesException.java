package io.sara4j.diffusion.data;

import java.util.List;

/**
 * Thrown by {@link ImageCaptionDataset#open} when images of the folder cannot be used and the
 * options do not allow skipping them (or every image is bad, so nothing would be left). The
 * message lists every bad image with its metadata line; {@link #badImages()} gives them as data.
 */
public final class BadImagesException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final transient List<BadImage> badImages;
    private final int total;

    BadImagesException(String message, List<BadImage> badImages, int total) {
        super(message);
        this.badImages = List.copyOf(badImages);
        this.total = total;
    }

    /** Every unusable image, in metadata order. */
    public List<BadImage> badImages() {
        return badImages;
    }

    /** Number of images the metadata names (usable and bad). */
    public int total() {
        return total;
    }
}
