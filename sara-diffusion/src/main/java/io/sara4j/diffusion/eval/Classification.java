package io.sara4j.diffusion.eval;

import io.sara4j.diffusion.data.shapes.Colour;
import io.sara4j.diffusion.data.shapes.ShapeKind;
import io.sara4j.diffusion.data.shapes.Style;

/**
 * What {@link ShapesClassifier#classify} says about N images, as plain Java data.
 *
 * @param features per image its D pooled features (float64 copies of the float32 values)
 * @param shapes per image the ordinal of the predicted {@link ShapeKind}
 * @param colours per image the ordinal of the predicted {@link Colour}
 * @param styles per image the ordinal of the predicted {@link Style}
 */
public record Classification(double[][] features, int[] shapes, int[] colours, int[] styles) {
    /** Checks that every array has one entry per image. */
    public Classification {
        int n = features.length;
        if (shapes.length != n || colours.length != n || styles.length != n) {
            throw new IllegalArgumentException("one prediction per image expected: " + n + " feature rows, "
                    + shapes.length + " shapes, " + colours.length + " colours, " + styles.length + " styles");
        }
    }

    /** Number of images. */
    public int size() {
        return features.length;
    }

    /** The predicted shape of image {@code i}. */
    public ShapeKind shape(int i) {
        return ShapeKind.values()[shapes[i]];
    }

    /** The predicted colour of image {@code i}. */
    public Colour colour(int i) {
        return Colour.values()[colours[i]];
    }

    /** The predicted style of image {@code i}. */
    public Style style(int i) {
        return Style.values()[styles[i]];
    }
}
