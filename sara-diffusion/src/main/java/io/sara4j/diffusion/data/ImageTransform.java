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
        int[] size = resizedSize(image.width(), image.height(), resolution);
        return image.resize(size[0], size[1], interpolation);
    }

    /** Cuts the R × R square out of a resized image and flips it if so drawn. */
    public RgbImage cropAndFlip(RgbImage resized, SplitMix64 random) {
        int spareY = resized.height() - resolution;
        int spareX = resized.width() - resolution;
        if (spareX < 0 || spareY < 0) {
            throw new IllegalArgumentException("image " + resized.width() + " × " + resized.height()
                    + " is smaller than the " + resolution + " × " + resolution + " crop: resize it first");
        }
        int drawnTop = random.nextInt(spareY + 1);
        int drawnLeft = random.nextInt(spareX + 1);
        boolean drawnFlip = random.nextBoolean();
        int top = crop == Crop.CENTER ? (int) Math.rint(spareY / 2.0) : drawnTop;
        int left = crop == Crop.CENTER ? (int) Math.rint(spareX / 2.0) : drawnLeft;
        RgbImage square = resized.crop(left, top, resolution, resolution);
        return randomFlip && drawnFlip ? square.flipHorizontal() : square;
    }

    /** {@link #resize} then {@link #cropAndFlip}. */
    public RgbImage apply(RgbImage image, SplitMix64 random) {
        return cropAndFlip(resize(image), random);
    }
}
