package io.sara4j.diffusion.eval;

import io.sara4j.diffusion.data.shapes.ShapesSpec;
import java.util.List;

/**
 * Whether generated images show what their prompts ask for: the CLIP-score analogue of the shapes
 * benchmark (paper Table 1, "CLIP", higher is better). An image counts when the
 * {@link ShapesClassifier} finds both the prompt's shape and its colour; the style is not part of
 * it (that is {@link StyleFidelity}'s job), so the two measures pull apart as FID and CLIP score do.
 *
 * @param accuracy fraction of images whose predicted shape and colour both match the prompt
 * @param shapeAccuracy fraction whose shape matches
 * @param colourAccuracy fraction whose colour matches
 * @param count number of images
 */
public record PromptAccuracy(double accuracy, double shapeAccuracy, double colourAccuracy, int count) {

    /**
     * Compares the predictions for image i with the content of {@code prompts.get(i)} (the spec
     * whose caption was the prompt).
     */
    public static PromptAccuracy measure(Classification generated, List<ShapesSpec> prompts) {
        if (generated.size() != prompts.size() || prompts.isEmpty()) {
            throw new IllegalArgumentException("one prompt per image expected: " + generated.size() + " images, "
                    + prompts.size() + " prompts");
        }
        int both = 0;
        int shape = 0;
        int colour = 0;
        for (int i = 0; i < prompts.size(); i++) {
            boolean s = generated.shape(i) == prompts.get(i).shape();
            boolean c = generated.colour(i) == prompts.get(i).colour();
            shape += s ? 1 : 0;
            colour += c ? 1 : 0;
            both += s && c ? 1 : 0;
        }
        double n = prompts.size();
        return new PromptAccuracy(both / n, shape / n, colour / n, prompts.size());
    }
}
