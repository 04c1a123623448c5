package io.sara4j.diffusion.data.shapes;

/**
 * Everything that determines one benchmark image, independent of its pixel size.
 *
 * @param shape what is drawn
 * @param colour its colour
 * @param background the uniform background
 * @param style the texture
 * @param x centre, as a fraction of the image width (0 = left edge, 1 = right edge)
 * @param y centre, as a fraction of the image height (0 = top)
 * @param radius half the side of the square the shape fills, as a fraction of the image side
 * @param textureSeed seeds the random texture of {@link Style#SPECKLE} (other styles ignore it)
 */
public record ShapesSpec(ShapeKind shape, Colour colour, Background background, Style style,
        double x, double y, double radius, long textureSeed) {

    /** Validates the fields, naming the one at fault. */
    public ShapesSpec {
        if (shape == null || colour == null || background == null || style == null) {
            throw new IllegalArgumentException("shape, colour, background and style are required");
        }
        if (!Double.isFinite(x) || !Double.isFinite(y)) {
            throw new IllegalArgumentException("x and y must be finite, found (" + x + ", " + y + ")");
        }
        if (!(radius > 0) || !Double.isFinite(radius)) {
            throw new IllegalArgumentException("radius must be positive and finite, found " + radius);
        }
    }

    /** The content caption, without the style: "a red circle on a black background", "an orange …". */
    public String caption() {
        return caption(shape, colour, background);
    }

    /** The content caption of a (shape, colour, background) combination. */
    static String caption(ShapeKind shape, Colour colour, Background background) {
        return colour.article() + " " + colour.label() + " " + shape.label() + " on a " + background.label()
                + " background";
    }

    /** The same content in another style. */
    public ShapesSpec withStyle(Style other) {
        return new ShapesSpec(shape, colour, background, other, x, y, radius, textureSeed);
    }
}
