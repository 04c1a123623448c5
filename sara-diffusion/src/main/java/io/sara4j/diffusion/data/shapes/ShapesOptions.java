package io.sara4j.diffusion.data.shapes;

import java.util.List;

/**
 * What {@link ShapesDataset} generates besides styles, count and seed.
 *
 * <pre>
 * ShapesOptions.builder().optImageSize(64).optSplit(Split.HELD_OUT).build();
 * </pre>
 *
 * @param imageSize side of the square images in pixels (16, 32 or 64 are the tested sizes)
 * @param shapes shapes drawn from
 * @param colours colours drawn from
 * @param backgrounds backgrounds drawn from (one entry for a fixed background)
 * @param heldOut the rule reserving (shape, colour) combinations for evaluation
 * @param split which side of that rule to generate
 * @param styleInCaption start each metadata caption with "&lt;style&gt; style, " (for sets mixing
 *     styles, e.g. pretraining a base model); off by default, as a single-style set is named by
 *     the training run's caption prefix
 */
public record ShapesOptions(int imageSize, List<ShapeKind> shapes, List<Colour> colours, List<Background> backgrounds,
        HeldOutSplit heldOut, Split split, boolean styleInCaption) {

    /** Validates and copies the lists. */
    public ShapesOptions {
        if (imageSize < ShapesRenderer.MIN_SIZE) {
            throw new IllegalArgumentException("imageSize must be at least " + ShapesRenderer.MIN_SIZE + ", found "
                    + imageSize);
        }
        shapes = nonEmpty("shapes", shapes);
        colours = nonEmpty("colours", colours);
        backgrounds = nonEmpty("backgrounds", backgrounds);
        if (heldOut == null || split == null) {
            throw new IllegalArgumentException("heldOut and split are required");
        }
    }

    private static <T> List<T> nonEmpty(String field, List<T> values) {
        if (values == null || values.isEmpty()) {
            throw new IllegalArgumentException(field + " must name at least one value");
        }
        if (values.stream().distinct().count() != values.size()) {
            throw new IllegalArgumentException(field + " lists a value twice: " + values);
        }
        return List.copyOf(values);
    }

    /** The defaults: 32 × 32, every shape, colour and background, the default held-out rule, the TRAIN split. */
    public static ShapesOptions defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link ShapesOptions}; every setting is optional. */
    public static final class Builder {
        private int imageSize = 32;
        private List<ShapeKind> shapes = List.of(ShapeKind.values());
        private List<Colour> colours = List.of(Colour.values());
        private List<Background> backgrounds = List.of(Background.values());
        private HeldOutSplit heldOut = HeldOutSplit.DEFAULT;
        private Split split = Split.TRAIN;
        private boolean styleInCaption;

        private Builder() {}

        /** Image side in pixels (default 32). */
        public Builder optImageSize(int imageSize) {
            this.imageSize = imageSize;
            return this;
        }

        /** Shapes drawn from (default all). */
        public Builder optShapes(List<ShapeKind> shapes) {
            this.shapes = shapes;
            return this;
        }

        /** Colours drawn from (default all). */
        public Builder optColours(List<Colour> colours) {
            this.colours = colours;
            return this;
        }

        /** Backgrounds drawn from (default all; one for a fixed background). */
        public Builder optBackgrounds(List<Background> backgrounds) {
            this.backgrounds = backgrounds;
            return this;
        }

        /** Held-out rule (default {@link HeldOutSplit#DEFAULT}). */
        public Builder optHeldOut(HeldOutSplit heldOut) {
            this.heldOut = heldOut;
            return this;
        }

        /** Which split to generate (default TRAIN). */
        public Builder optSplit(Split split) {
            this.split = split;
            return this;
        }

        /** Put "&lt;style&gt; style, " before each caption (default off). */
        public Builder optStyleInCaption(boolean styleInCaption) {
            this.styleInCaption = styleInCaption;
            return this;
        }

        /** The options; fails naming the field that is invalid. */
        public ShapesOptions build() {
            return new ShapesOptions(imageSize, shapes, colours, backgrounds, heldOut, split, styleInCaption);
        }
    }
}
