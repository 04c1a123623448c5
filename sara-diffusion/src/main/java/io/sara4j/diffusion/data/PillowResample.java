package io.sara4j.diffusion.data;

/**
 * Pillow's separable resampling of 8-bit images ({@code libImaging/Resample.c}), reproduced step
 * by step so results match {@code Image.resize} byte for byte.
 *
 * <p>Per output coordinate xx: centre c = (xx + 0.5)·scale with scale = in/out; the filter is
 * stretched by max(scale, 1); taps run over [(int)(c − support + 0.5), (int)(c + support + 0.5))
 * clipped to the image; weights w(x + xmin − c + 0.5) are normalised to sum 1 and turned into
 * fixed point with 22 fractional bits. A pass sums pixel × weight from a rounding offset of 2²¹,
 * shifts right by 22 and clamps to 0 … 255. The horizontal pass runs first and its 8-bit result
 * feeds the vertical pass, as in Pillow; a pass whose size does not change is skipped.
 */
final class PillowResample {
    private static final int PRECISION_BITS = 32 - 8 - 2;

    private PillowResample() {}

    /** Resizes packed 0xRRGGBB pixels (row-major, inWidth × inHeight) to outWidth × outHeight. */
    static int[] resize(int[] rgb, int inWidth, int inHeight, int outWidth, int outHeight, Interpolation filter) {
        int[] pixels = rgb;
        int width = inWidth;
        if (outWidth != inWidth) {
            pixels = pass(pixels, width, inHeight, outWidth, true, coefficients(inWidth, outWidth, filter));
            width = outWidth;
        }
        if (outHeight != inHeight) {
            pixels = pass(pixels, width, inHeight, outHeight, false, coefficients(inHeight, outHeight, filter));
        }
        return pixels == rgb ? rgb.clone() : pixels;
    }

    /** Taps of one output coordinate: first source index and fixed-point weights. */
    private record Taps(int first, int[] weights) {}

    private static Taps[] coefficients(int inSize, int outSize, Interpolation filter) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filter.support() * filterScale;
        double ss = 1.0 / filterScale;
        Taps[] taps = new Taps[outSize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            int xmin = Math.max(0, (int) (center - support + 0.5)); // C cast: truncation toward zero
            int xmax = Math.min(inSize, (int) (center + support + 0.5)) - xmin;
            double[] k = new double[Math.max(0, xmax)];
            double sum = 0.0;
            for (int x = 0; x < k.length; x++) {
                k[x] = filter.weight((x + xmin - center + 0.5) * ss);
                sum += k[x];
            }
            int[] fixed = new int[k.length];
            for (int x = 0; x < k.length; x++) {
                double w = sum != 0.0 ? k[x] / sum : k[x];
                fixed[x] = (int) (w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
            }
            taps[xx] = new Taps(xmin, fixed);
        }
        return taps;
    }

    /** One pass along rows ({@code horizontal}) or columns, producing outSize samples per line. */
    private static int[] pass(int[] in, int width, int height, int outSize, boolean horizontal, Taps[] taps) {
        int outWidth = horizontal ? outSize : width;
        int outHeight = horizontal ? height : outSize;
        int[] out = new int[outWidth * outHeight];
        for (int y = 0; y < outHeight; y++) {
            for (int x = 0; x < outWidth; x++) {
                Taps t = taps[horizontal ? x : y];
                int r = 1 << (PRECISION_BITS - 1);
                int g = r;
                int b = r;
                for (int i = 0; i < t.weights().length; i++) {
                    int src = horizontal ? y * width + t.first() + i : (t.first() + i) * width + x;
                    int p = in[src];
                    int w = t.weights()[i];
                    r += ((p >> 16) & 0xff) * w;
                    g += ((p >> 8) & 0xff) * w;
                    b += (p & 0xff) * w;
                }
                out[y * outWidth + x] = (clip8(r) << 16) | (clip8(g) << 8) | clip8(b);
            }
        }
        return out;
    }

    private static int clip8(int sum) {
        return Math.min(255, Math.max(0, sum >> PRECISION_BITS));
    }
}
