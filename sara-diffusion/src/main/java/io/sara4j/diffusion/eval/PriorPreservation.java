package io.sara4j.diffusion.eval;

/**
 * How much of the base model's own style survives fine-tuning (the paper's claim that SaRA keeps
 * the model's prior, §4): the two measures of a style the base model already knew, taken after
 * fine-tuning, and optionally before, on the model without the adapter.
 *
 * @param after the base style's scores with the adapter applied
 * @param before the same scores without the adapter, or {@code null} when not measured
 */
public record PriorPreservation(StyleScores after, StyleScores before) {
    /** Checks that both scores are of the same style. */
    public PriorPreservation {
        if (after == null) {
            throw new IllegalArgumentException("the scores after fine-tuning are required");
        }
        if (before != null && before.style() != after.style()) {
            throw new IllegalArgumentException("before and after must score the same style, found " + before.style()
                    + " and " + after.style());
        }
    }

    /** FD after − FD before (positive: the base style drifted away); NaN without a reference. */
    public double fidelityChange() {
        return before == null ? Double.NaN
                : after.fidelity().frechetDistance() - before.fidelity().frechetDistance();
    }

    /** Prompt accuracy after − before (negative: the base style lost prompt following); NaN without a reference. */
    public double accuracyChange() {
        return before == null ? Double.NaN : after.accuracy().accuracy() - before.accuracy().accuracy();
    }
}
