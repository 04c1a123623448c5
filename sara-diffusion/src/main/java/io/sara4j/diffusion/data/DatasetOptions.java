package io.sara4j.diffusion.data;

import java.util.Arrays;

/**
 * How an {@link ImageCaptionDataset} turns its folder into training batches. Defaults follow the
 * SaRA reference training script: random crop (its {@code --center_crop} is off unless given),
 * no flip, bilinear resize, columns {@code file_name} and {@code text}, no prefix.
 *
 * <pre>
 * DatasetOptions.builder().setResolution(512).optCaptionPrefix("Barbie style, ").build();
 * </pre>
 *
 * @param resolution side R of the square (3, R, R) training images
 * @param crop center or random crop after the resize
 * @param randomFlip mirror left to right with probability ½
 * @param interpolation resize filter
 * @param captionPrefix prepended to every caption (the paper's "&lt;name&gt; style, ")
 * @param captionColumn metadata field holding the caption
 * @param imageColumn metadata field holding the image's path relative to the folder
 * @param cacheImages keep each decoded and resized image (before the crop) on the Java heap
 * @param seed seeds the stream of crop and flip draws of {@link ImageCaptionDataset#images}
 */
public record DatasetOptions(int resolution, Crop crop, boolean randomFlip, Interpolation interpolation,
        String captionPrefix, String captionColumn, String imageColumn, boolean cacheImages, long seed) {

    /** Validates every field, naming it. */
    public DatasetOptions {
        if (resolution < 1) {
            throw new IllegalArgumentException("resolution must be at least 1, found " + resolution);
        }
        if (crop == null) {
            throw new IllegalArgumentException("crop is required (supported: " + Arrays.toString(Crop.values()) + ")");
        }
        if (interpolation == null) {
            throw new IllegalArgumentException("interpolation is required (supported: "
                    + Arrays.toString(Interpolation.values()) + ")");
        }
        if (captionPrefix == null) {
            throw new IllegalArgumentException("captionPrefix must not be null (use \"\" for none)");
        }
        if (captionColumn == null || captionColumn.isEmpty() || imageColumn == null || imageColumn.isEmpty()) {
            throw new IllegalArgumentException("captionColumn and imageColumn must be non-empty field names");
        }
        if (captionColumn.equals(imageColumn)) {
            throw new IllegalArgumentException("captionColumn and imageColumn are both '" + imageColumn + "'");
        }
    }

    /** A builder with the reference script's defaults; the resolution must be set. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link DatasetOptions}: {@code setResolution} is required, the {@code opt} settings are optional. */
    public static final class Builder {
        private int resolution = -1;
        private Crop crop = Crop.RANDOM;
        private boolean randomFlip;
        private Interpolation interpolation = Interpolation.BILINEAR;
        private String captionPrefix = "";
        private String captionColumn = "text";
        private String imageColumn = "file_name";
        private boolean cacheImages;
        private long seed;

        private Builder() {}

        /** Side R of the square training images (required). */
        public Builder setResolution(int resolution) {
            this.resolution = resolution;
            return this;
        }

        /** Center or random crop (default RANDOM, as the reference script). */
        public Builder optCrop(Crop crop) {
            this.crop = crop;
            return this;
        }

        /** Random horizontal flip (default off). */
        public Builder optRandomFlip(boolean randomFlip) {
            this.randomFlip = randomFlip;
            return this;
        }

        /** Resize filter (default BILINEAR). */
        public Builder optInterpolation(Interpolation interpolation) {
            this.interpolation = interpolation;
            return this;
        }

        /** Text put before every caption, e.g. {@code "<name> style, "} (default none). */
        public Builder optCaptionPrefix(String captionPrefix) {
            this.captionPrefix = captionPrefix;
            return this;
        }

        /** Metadata field with the caption (default {@code text}). */
        public Builder optCaptionColumn(String captionColumn) {
            this.captionColumn = captionColumn;
            return this;
        }

        /** Metadata field with the image path (default {@code file_name}). */
        public Builder optImageColumn(String imageColumn) {
            this.imageColumn = imageColumn;
            return this;
        }

        /** Keep decoded, resized images in memory (default off; for small datasets). */
        public Builder optCacheImages(boolean cacheImages) {
            this.cacheImages = cacheImages;
            return this;
        }

        /** Seed of the crop and flip draws (default 0). */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /** The options; fails naming the field that is missing or invalid. */
        public DatasetOptions build() {
            if (resolution == -1) {
                throw new IllegalArgumentException("resolution is required: call setResolution(R)");
            }
            return new DatasetOptions(resolution, crop, randomFlip, interpolation, captionPrefix, captionColumn,
                    imageColumn, cacheImages, seed);
        }
    }
}
