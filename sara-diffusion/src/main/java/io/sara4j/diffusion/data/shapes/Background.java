package io.sara4j.diffusion.data.shapes;

/** Uniform backgrounds, dark enough for every {@link Colour} to stand out, with exact RGB values. */
public enum Background {
    /** (0, 0, 0). */
    BLACK("black", 0, 0, 0),
    /** (96, 96, 96). */
    GRAY("gray", 96, 96, 96),
    /** (0, 0, 128). */
    NAVY("navy", 0, 0, 128),
    /** (110, 60, 20). */
    BROWN("brown", 110, 60, 20);

    private final String label;
    private final int rgb;

    Background(String label, int r, int g, int b) {
        this.label = label;
        this.rgb = (r << 16) | (g << 8) | b;
    }

    /** The word used in captions and metadata. */
    public String label() {
        return label;
    }

    /** Packed 0xRRGGBB. */
    public int rgb() {
        return rgb;
    }
}
