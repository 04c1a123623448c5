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
 * @param maxImagePixels images whose header claims more pixels (width × height) are refused before
 *     they are decoded (default {@link #DEFAULT_MAX_IMAGE_PIXELS})
 * @param skipBadImages leave out images that fail the check of {@link ImageCaptionDataset#open}
 *     (listed by {@link ImageCaptionDataset#skipped()}) instead of refusing the folder
 * @param buckets train on aspect-ratio buckets of about R² pixels ({@link BucketTable}) instead of
 *     R × R squares
 * @param bucketStep the bucket sides are multiples of this (64 for Stable Diffusion: 8 latent pixels)
 */
public record DatasetOptions(int resolution, Crop crop, boolean randomFlip, Interpolation interpolation,
        String captionPrefix, String captionColumn, String imageColumn, boolean cacheImages, long seed,
        long maxImagePixels, boolean skipBadImages, boolean buckets, int bucketStep) {

    /**
     * Pillow's decompression-bomb limit ({@code Image.MAX_IMAGE_PIXELS}, 89,478,485 pixels: about
     * 0.25 GiB of 24-bit pixels), the cap users of the Python trainers already know.
     */
    public static final long DEFAULT_MAX_IMAGE_PIXELS = 89_478_485L;

    /** Stable Diffusion's bucket step: the VAE divides by 8 and the UNet halves the latent 3 times. */
    public static final int DEFAULT_BUCKET_STEP = 64;

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
        if (maxImagePixels < 1) {
            throw new IllegalArgumentException("maxImagePixels must be at least 1, found " + maxImagePixels);
        }
        if (bucketStep < 1) {
            throw new IllegalArgumentException("bucketStep must be at least 1, found " + bucketStep);
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
        private long maxImagePixels = DEFAULT_MAX_IMAGE_PIXELS;
        private boolean skipBadImages;
        private boolean buckets;
        private int bucketStep = DEFAULT_BUCKET_STEP;

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

        /** Pixel cap (width × height from the header) above which an image is refused undecoded (default 89,478,485). */
        public Builder optMaxImagePixels(long maxImagePixels) {
            this.maxImagePixels = maxImagePixels;
            return this;
        }

        /** Leave out unusable images instead of refusing the folder (default off: refuse). */
        public Builder optSkipBadImages(boolean skipBadImages) {
            this.skipBadImages = skipBadImages;
            return this;
        }

        /** Aspect-ratio buckets instead of square crops (default off). */
        public Builder optBuckets(boolean buckets) {
            this.buckets = buckets;
            return this;
        }

        /** Multiple that bucket sides are rounded to (default 64); R must be a multiple of it. */
        public Builder optBucketStep(int bucketStep) {
            this.bucketStep = bucketStep;
            return this;
        }

        /** The options; fails naming the field that is missing or invalid. */
        public DatasetOptions build() {
            if (resolution == -1) {
                throw new IllegalArgumentException("resolution is required: call setResolution(R)");
            }
            return new DatasetOptions(resolution, crop, randomFlip, interpolation, captionPrefix, captionColumn,
                    imageColumn, cacheImages, seed, maxImagePixels, skipBadImages, buckets, bucketStep);
        }
    }
}
