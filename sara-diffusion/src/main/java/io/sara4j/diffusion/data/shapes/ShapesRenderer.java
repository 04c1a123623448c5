package io.sara4j.diffusion.data.shapes;

import io.sara4j.diffusion.data.SplitMix64;
import java.awt.image.BufferedImage;

/**
 * Draws a {@link ShapesSpec} into a square image, in plain Java on an int pixel array: no Java2D,
 * no antialiasing and no transcendental functions, only integer arithmetic and double + − × ÷
 * (which Java 17 evaluates with strict IEEE semantics), so a spec gives the same pixels on every JVM.
 *
 * <p>Pixel (px, py) is sampled at its centre (px + ½, py + ½) in pixel units; the shape's centre is
 * (x·size, y·size) and its radius radius·size. A pixel belongs to the silhouette when the centre
 * lies in the shape ({@link ShapeKind#contains}); its tone is then chosen by the {@link Style}.
 */
public final class ShapesRenderer {
    /** Smallest side that keeps every texture visible. */
    public static final int MIN_SIZE = 8;

    private ShapesRenderer() {}

    /** The image, {@code size} × {@code size}, {@code TYPE_INT_RGB}. */
    public static BufferedImage render(ShapesSpec spec, int size) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, size, size, pixels(spec, size), 0, size);
        return image;
    }

    /** The pixels as packed 0xRRGGBB, row-major. */
    public static int[] pixels(ShapesSpec spec, int size) {
        boolean[] mask = silhouette(spec, size);
        boolean[] border = spec.style() == Style.OUTLINE ? border(mask, size, Math.max(1, size / 32)) : null;
        int u = Math.max(1, size / 16);
        int colour = spec.colour().rgb();
        int shade = spec.colour().shade();
        double top = (spec.y() - spec.radius()) * size;
        double height = 2 * spec.radius() * size;
        long noise = SplitMix64.mix64(spec.textureSeed());
        int[] out = new int[size * size];
        for (int py = 0; py < size; py++) {
            for (int px = 0; px < size; px++) {
                int i = py * size + px;
                if (!mask[i]) {
                    out[i] = spec.background().rgb();
                    continue;
                }
                out[i] = switch (spec.style()) {
                    case PLAIN -> colour;
                    case OUTLINE -> border[i] ? colour : spec.background().rgb();
                    case STRIPES -> (py / u) % 2 == 0 ? colour : shade;
                    case CHECKER -> (px / (2 * u) + py / (2 * u)) % 2 == 0 ? colour : shade;
                    case DOTS -> inDot(px, py, u) ? shade : colour;
                    case GRADIENT -> mix(colour, shade, Math.min(1.0, Math.max(0.0, (py + 0.5 - top) / height)));
                    case SPECKLE -> (SplitMix64.mix64(noise + i) >>> 1) % 3 == 0 ? shade : colour;
                };
            }
        }
        return out;
    }

    /** Which pixels (row-major) have their centre inside the shape. */
    public static boolean[] silhouette(ShapesSpec spec, int size) {
        if (size < MIN_SIZE) {
            throw new IllegalArgumentException("image size must be at least " + MIN_SIZE + ", found " + size);
        }
        double cx = spec.x() * size;
        double cy = spec.y() * size;
        double r = spec.radius() * size;
        boolean[] mask = new boolean[size * size];
        for (int py = 0; py < size; py++) {
            for (int px = 0; px < size; px++) {
                mask[py * size + px] = spec.shape().contains(px + 0.5 - cx, py + 0.5 - cy, r);
            }
        }
        return mask;
    }

    /** Mask pixels within Manhattan distance {@code thickness} of a pixel outside it (the image's outside counts). */
    static boolean[] border(boolean[] mask, int size, int thickness) {
        boolean[] interior = mask.clone();
        for (int step = 0; step < thickness; step++) {
            boolean[] next = new boolean[interior.length];
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    next[y * size + x] = interior[y * size + x]
                            && x > 0 && interior[y * size + x - 1]
                            && x < size - 1 && interior[y * size + x + 1]
                            && y > 0 && interior[(y - 1) * size + x]
                            && y < size - 1 && interior[(y + 1) * size + x];
                }
            }
            interior = next;
        }
        boolean[] border = new boolean[mask.length];
        for (int i = 0; i < mask.length; i++) {
            border[i] = mask[i] && !interior[i];
        }
        return border;
    }

    /** Whether pixel (px, py)'s centre lies in a dot; in doubled units so all arithmetic is integer. */
    private static boolean inDot(int px, int py, int u) {
        int a = (2 * px + 1) % (8 * u) - 4 * u; // 2 × offset from the cell centre
        int b = (2 * py + 1) % (8 * u) - 4 * u;
        return a * a + b * b <= 7 * u * u; // (2d)² ≤ 4 · 1.75 u²
    }

    /** Channel-wise colour − round((colour − shade)·t), the step rounded half up. */
    private static int mix(int colour, int shade, double t) {
        int out = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            int c = (colour >> shift) & 0xff;
            int s = (shade >> shift) & 0xff;
            out |= (c - (int) Math.round((c - s) * t)) << shift;
        }
        return out;
    }
}
