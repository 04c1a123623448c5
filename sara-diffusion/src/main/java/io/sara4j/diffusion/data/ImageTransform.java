package io.sara4j.diffusion.data;

/**
 * The reference training script's image transform, without the tensor conversion:
 * <pre>
 * transforms.Resize(R, interpolation=BILINEAR)          → {@link #resize}
 * transforms.CenterCrop(R) or transforms.RandomCrop(R)  → {@link #cropAndFlip}
 * transforms.RandomHorizontalFlip() when --random_flip  → {@link #cropAndFlip}
 * </pre>
 * Resize sets the shorter side to R and the longer to ⌊R · long / short⌋ (torchvision's rule),
 * with Pillow's resampling (see {@link PillowResample}). Random choices come from a
 * {@link SplitMix64} stream: the crop's top, then its left offset, then the flip coin, each drawn
 * whatever the options so that one image always uses three values.
 *
 * <p>For aspect-ratio buckets ({@link BucketTable}) the same steps run with a w × h target instead
 * of R × R: {@link #resizeToCover} then {@link #cropAndFlip(RgbImage, int, int, SplitMix64)}.
 *
 * @param resolution side R of the square output
 * @param crop center or random crop
 * @param randomFlip mirror with probability ½
 * @param interpolation resampling filter of the resize
 */
public record ImageTransform(int resolution, Crop crop, boolean randomFlip, Interpolation interpolation) {
    /** Validates the resolution and that crop and interpolation are given. */
    public ImageTransform {
        if (resolution < 1) {
            throw new IllegalArgumentException("resolution must be at least 1, found " + resolution);
        }
        if (crop == null || interpolation == null) {
            throw new IllegalArgumentException("crop and interpolation are required");
        }
    }

    /** The transform a dataset's options describe. */
    public static ImageTransform of(DatasetOptions options) {
        return new ImageTransform(options.resolution(), options.crop(), options.randomFlip(), options.interpolation());
    }

    /**
     * Output (width, height) of the resize: torchvision's {@code _compute_resized_output_size}
     * for an int size, {@code int(R * long / short)} for the longer side.
     */
    public static int[] resizedSize(int width, int height, int resolution) {
        int shortSide = Math.min(width, height);
        int longSide = Math.max(width, height);
        int newLong = (int) ((double) ((long) resolution * longSide) / shortSide);
        return width <= height ? new int[] {resolution, newLong} : new int[] {newLong, resolution};
    }

    /** The image with its shorter side resized to R (unchanged if it already is R). */
    public RgbImage resize(RgbImage image) {
        return resizeToCover(image, resolution, resolution);
    }

    /**
     * Output (width, height) of the smallest resize that covers a targetWidth × targetHeight
     * bucket keeping the aspect ratio: the side that fits exactly is set, the other is
     * ⌊target · long / short⌋ as in {@link #resizedSize}, to which it reduces for a square target.
     */
    public static int[] coverSize(int width, int height, int targetWidth, int targetHeight) {
        if ((long) width * targetHeight > (long) height * targetWidth) { // wider than the target: fit the height
            return new int[] {(int) ((double) ((long) targetHeight * width) / height), targetHeight};
        }
        return new int[] {targetWidth, (int) ((double) ((long) targetWidth * height) / width)};
    }

    /** The image resized to cover targetWidth × targetHeight (see {@link #coverSize}). */
    public RgbImage resizeToCover(RgbImage image, int targetWidth, int targetHeight) {
        int[] size = coverSize(image.width(), image.height(), targetWidth, targetHeight);
        return image.resize(size[0], size[1], interpolation);
    }

    /** Cuts the R × R square out of a resized image and flips it if so drawn. */
    public RgbImage cropAndFlip(RgbImage resized, SplitMix64 random) {
        return cropAndFlip(resized, resolution, resolution, random);
    }

    /**
     * Cuts width × height out of a resized image (center or random, as the crop option says) and
     * flips it if so drawn; the draws are the same three as for the square.
     */
    public RgbImage cropAndFlip(RgbImage resized, int width, int height, SplitMix64 random) {
        int spareY = resized.height() - height;
        int spareX = resized.width() - width;
        if (spareX < 0 || spareY < 0) {
            throw new IllegalArgumentException("image " + resized.width() + " × " + resized.height()
                    + " is smaller than the " + width + " × " + height + " crop: resize it first");
        }
        int drawnTop = random.nextInt(spareY + 1);
        int drawnLeft = random.nextInt(spareX + 1);
        boolean drawnFlip = random.nextBoolean();
        int top = crop == Crop.CENTER ? (int) Math.rint(spareY / 2.0) : drawnTop;
        int left = crop == Crop.CENTER ? (int) Math.rint(spareX / 2.0) : drawnLeft;
        RgbImage cut = resized.crop(left, top, width, height);
        return randomFlip && drawnFlip ? cut.flipHorizontal() : cut;
    }

    /** {@link #resize} then {@link #cropAndFlip}. */
    public RgbImage apply(RgbImage image, SplitMix64 random) {
        return cropAndFlip(resize(image), random);
    }
}
