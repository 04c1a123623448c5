package io.sara4j.diffusion.data.shapes;

/**
 * Textures that change how a shape is painted but not what it is: the shape's pixels (its
 * silhouette), colour and background stay the same, only the tones inside vary between the colour
 * and its {@link Colour#shade() shade}. OUTLINE is the one style that leaves pixels of the
 * silhouette unpainted (its interior shows the background), but it keeps the silhouette's border and
 * so its extent.
 *
 * <p>Patterns are laid on the image grid with unit u = max(1, size / 16) pixels (2 at 32 × 32).
 */
public enum Style {
    /** Every pixel of the shape in the colour. */
    PLAIN("plain"),
    /**
     * Only the border in the colour: silhouette pixels within Manhattan distance t of a pixel
     * outside it (or of the image edge), t = max(1, size / 32); the interior shows the background.
     */
    OUTLINE("outline"),
    /** Horizontal bands u rows high, colour and shade alternating from the top row. */
    STRIPES("stripes"),
    /**
     * Shade dots on the colour: dots centred every 4u pixels, at (4u·i + 2u, 4u·j + 2u), covering
     * pixel centres within √1.75·u.
     */
    DOTS("dots"),
    /** A checkerboard of 2u-pixel cells, colour in the top-left cell. */
    CHECKER("checker"),
    /** Vertical ramp from the colour at the shape's top (y − r) to the shade at its bottom (y + r). */
    GRADIENT("gradient"),
    /** Each pixel independently the shade with probability about ⅓ (seeded by the spec's texture seed). */
    SPECKLE("speckle");

    private final String label;

    Style(String label) {
        this.label = label;
    }

    /** The word used in caption prefixes ("stripes style, ") and metadata. */
    public String label() {
        return label;
    }
}
