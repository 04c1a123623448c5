package io.sara4j.diffusion.data;

/**
 * Resampling filters for resizing, each exactly as Pillow defines it ({@code Resample.c}), so that
 * a resize here gives the bytes {@code Image.resize} gives.
 *
 * <p>The filter is stretched by the scale factor when shrinking (antialiasing), which is what
 * torchvision's {@code Resize} does for PIL images: the reference training script's
 * {@code transforms.Resize(resolution, InterpolationMode.BILINEAR)}.
 */
public enum Interpolation {
    /** Triangle filter, support 1: the reference script's choice and the default. */
    BILINEAR(1.0) {
        @Override
        double weight(double x) {
            double a = Math.abs(x);
            return a < 1.0 ? 1.0 - a : 0.0;
        }
    },
    /** Keys cubic convolution with a = −0.5, support 2 (Pillow's BICUBIC). */
    BICUBIC(2.0) {
        @Override
        double weight(double x) {
            final double a = -0.5;
            double t = Math.abs(x);
            if (t < 1.0) {
                return ((a + 2.0) * t - (a + 3.0)) * t * t + 1;
            }
            if (t < 2.0) {
                return (((t - 5) * t + 8) * t - 4) * a;
            }
            return 0.0;
        }
    };

    private final double support;

    Interpolation(double support) {
        this.support = support;
    }

    /** Half-width of the filter in source pixels before stretching. */
    double support() {
        return support;
    }

    /** The filter kernel at offset {@code x} (in filter units). */
    abstract double weight(double x);
}
