package io.sara4j.diffusion.data.shapes;

/** Which (shape, colour) combinations a generated set draws from; see {@link HeldOutSplit}. */
public enum Split {
    /** Combinations not held out: the fine-tuning (or pretraining) set. */
    TRAIN("train"),
    /** Only held-out combinations: prompts and reference images for evaluation. */
    HELD_OUT("held_out"),
    /** Every combination. */
    ALL("all");

    private final String label;

    Split(String label) {
        this.label = label;
    }

    /** The word written in metadata ({@code "train"}, {@code "held_out"}). */
    public String label() {
        return label;
    }
}
