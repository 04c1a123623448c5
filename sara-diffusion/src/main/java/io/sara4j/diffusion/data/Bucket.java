package io.sara4j.diffusion.data;

/**
 * One training resolution of an aspect-ratio bucket table: every image of a bucket is resized to
 * cover width × height and cropped to it, so a batch of one bucket stacks into one tensor.
 *
 * @param width pixels per row
 * @param height rows
 */
public record Bucket(int width, int height) {
    /** Both sides must be positive. */
    public Bucket {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("a bucket needs positive sides, found " + width + "x" + height);
        }
    }

    /** width / height. */
    public double aspectRatio() {
        return (double) width / height;
    }

    /** {@code <width>x<height>}, e.g. {@code 640x384}. */
    @Override
    public String toString() {
        return width + "x" + height;
    }
}
