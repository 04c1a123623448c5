package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;

/**
 * {@code torch.nn.Dropout}: in training, zeroes each value with probability p and scales the rest
 * by 1/(1 − p); the identity otherwise (and always when p = 0). Has no parameters, but takes a
 * slot in module lists ({@code to_out.1}), which keeps key indices aligned with PyTorch.
 */
public final class Dropout extends Module {
    private final float probability;

    /** A dropout layer with drop probability {@code probability} in [0, 1). */
    public Dropout(float probability) {
        if (probability < 0 || probability >= 1) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + probability);
        }
        this.probability = probability;
    }

    /** Applies dropout when training, else returns {@code x} unchanged. */
    public NDArray forward(NDArray x) {
        if (!isTraining() || probability == 0f) {
            return x;
        }
        GradientCheckpointing.requireDeterministic("dropout (p = " + probability + ")");
        return ai.djl.nn.norm.Dropout.dropout(x, probability, true).singletonOrThrow();
    }

    /** The drop probability. */
    public float probability() {
        return probability;
    }
}
