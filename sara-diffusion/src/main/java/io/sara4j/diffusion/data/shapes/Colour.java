package io.sara4j.diffusion.data.shapes;

/**
 * Shape colours, with exact RGB values. Textured styles also use the colour's {@link #shade()},
 * each channel halved (rounded down); every tone a style paints lies between the two, and none of
 * them equals a {@link Background}, so a shape's pixels are always told apart from its background.
 */
public enum Colour {
    /** (255, 0, 0). */
    RED("red", 255, 0, 0),
    /** (255, 128, 0). */
    ORANGE("orange", 255, 128, 0),
    /** (255, 255, 0). */
    YELLOW("yellow", 255, 255, 0),
    /** (0, 200, 0). */
    GREEN("green", 0, 200, 0),
    /** (0, 255, 255). */
    CYAN("cyan", 0, 255, 255),
    /** (0, 64, 255). */
    BLUE("blue", 0, 64, 255),
    /** (255, 0, 255). */
    MAGENTA("magenta", 255, 0, 255),
    /** (255, 255, 255). */
    WHITE("white", 255, 255, 255);

    private final String label;
    private final int rgb;

    Colour(String label, int r, int g, int b) {
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

    /** The darker tone of textured styles: each channel halved, rounded down. */
    public int shade() {
        return (rgb >> 1) & 0x7f7f7f;
    }

    /** "a" or "an", as the label needs. */
    String article() {
        return "aeiou".indexOf(label.charAt(0)) >= 0 ? "an" : "a";
    }
}
