package io.sara4j.diffusion.data.shapes;

/**
 * The rule that reserves some (shape, colour) combinations for evaluation, so that prompt accuracy
 * and fidelity are measured on prompts the fine-tuned model never saw (compositional
 * generalisation: each held-out shape and colour is seen in training, only not together).
 *
 * <p>A combination is held out when {@code (shape.ordinal() + colour.ordinal()) mod modulus == 0},
 * using the canonical orders of {@link ShapeKind} and {@link Colour} (not the order of any
 * subset), so the rule does not change when options restrict the shapes or colours. With the
 * default modulus 4 it holds out 12 of the 48 combinations: two colours of every shape, and one or
 * two shapes of every colour: circle red/cyan, square green/white, triangle yellow/magenta,
 * diamond orange/blue, cross red/cyan, ring green/white. The background plays no part: a
 * held-out combination is held out on every background.
 *
 * @param modulus 0 for no held-out combinations, otherwise at least 2
 */
public record HeldOutSplit(int modulus) {
    /** Nothing held out. */
    public static final HeldOutSplit NONE = new HeldOutSplit(0);
    /** The benchmark's rule: modulus 4. */
    public static final HeldOutSplit DEFAULT = new HeldOutSplit(4);

    /** Rejects moduli that would hold out everything (1) or are negative. */
    public HeldOutSplit {
        if (modulus < 0 || modulus == 1) {
            throw new IllegalArgumentException("modulus must be 0 (nothing held out) or at least 2, found " + modulus);
        }
    }

    /** Whether the combination is reserved for evaluation. */
    public boolean isHeldOut(ShapeKind shape, Colour colour) {
        return modulus != 0 && (shape.ordinal() + colour.ordinal()) % modulus == 0;
    }

    /** Whether the combination belongs to {@code split}. */
    public boolean inSplit(Split split, ShapeKind shape, Colour colour) {
        return switch (split) {
            case TRAIN -> !isHeldOut(shape, colour);
            case HELD_OUT -> isHeldOut(shape, colour);
            case ALL -> true;
        };
    }
}
