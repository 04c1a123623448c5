package io.sara4j.cli;

import io.sara4j.diffusion.eval.StyleScores;

/**
 * The numbers of one {@link StyleScores}, as stored in a run folder (JSON) so that a resumed run
 * does not score again, and as shown in reports.
 *
 * @param style the style's label
 * @param promptPrefix the prefix the prompts were given
 * @param frechetDistance style fidelity: Fréchet distance to real images of the style, lower is better
 * @param styleAccuracy fraction of images the classifier assigns to the style
 * @param promptAccuracy fraction whose shape and colour both follow the prompt
 * @param images images scored
 */
record StyleSummary(String style, String promptPrefix, double frechetDistance, double styleAccuracy, double promptAccuracy,
        int images) {
    static StyleSummary of(StyleScores s) {
        return new StyleSummary(s.style().label(), s.promptPrefix(), s.fidelity().frechetDistance(),
                s.fidelity().styleAccuracy(), s.accuracy().accuracy(), s.fidelity().count());
    }
}
