package io.sara4j.diffusion.eval;

import io.sara4j.diffusion.data.shapes.Style;

/**
 * Both measures of one style on the held-out prompts: what {@link Evaluator#evaluate} returns.
 *
 * @param style the style the prompts asked for
 * @param promptPrefix what was put before every caption ("stripes style, ")
 * @param fidelity generated vs real images of the style (the FID analogue)
 * @param accuracy shape and colour follow the prompt (the CLIP-score analogue)
 */
public record StyleScores(Style style, String promptPrefix, StyleFidelity fidelity, PromptAccuracy accuracy) {
    /** This pair as the input of {@link Vlhi}: FD as the fidelity score, prompt accuracy as the alignment score. */
    public MethodScores asMethod(String method) {
        return new MethodScores(method, fidelity.frechetDistance(), accuracy.accuracy());
    }
}
