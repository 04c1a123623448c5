package io.sara4j.diffusion.eval;

import io.sara4j.diffusion.data.shapes.Style;

/**
 * How much generated images look like real images of the target style: the FID analogue of the
 * shapes benchmark (paper Table 1, "FID", lower is better).
 *
 * <p>{@link #frechetDistance()} is the {@link FrechetDistance} between the {@link ShapesClassifier}
 * features of the generated images and those of equally many real renders of the style, on the
 * same held-out content. The classifier was trained to tell styles, shapes and colours apart, so
 * its features move with exactly those properties, as Inception features do with natural-image
 * statistics. {@link #styleAccuracy()} is the more direct reading: the share of generated images
 * the classifier assigns to the target style.
 *
 * @param style the target style
 * @param frechetDistance d² between the two feature sets (0 for identical statistics)
 * @param styleAccuracy fraction of generated images classified as {@code style}
 * @param count images on each side
 */
public record StyleFidelity(Style style, double frechetDistance, double styleAccuracy, int count) {

    /**
     * Measures {@code generated} against {@code real}.
     *
     * @throws IllegalArgumentException if the two sets differ in size (the distance depends on it)
     *     or hold fewer than two images
     */
    public static StyleFidelity measure(Classification generated, Classification real, Style style) {
        if (generated.size() != real.size()) {
            throw new IllegalArgumentException("compare equally many images: " + generated.size() + " generated, "
                    + real.size() + " real (the Fréchet distance is biased by the sample size)");
        }
        int hits = 0;
        for (int i = 0; i < generated.size(); i++) {
            hits += generated.style(i) == style ? 1 : 0;
        }
        double fd = FrechetDistance.between(generated.features(), real.features());
        return new StyleFidelity(style, fd, (double) hits / generated.size(), generated.size());
    }
}
