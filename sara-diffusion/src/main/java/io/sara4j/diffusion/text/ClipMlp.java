package io.sara4j.diffusion.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.nn.Module;

/**
 * transformers {@code CLIPMLP}: fc1 → activation ({@code hidden_act}) → fc2.
 *
 * <p>Shapes: (B, L, D) → (B, L, intermediate) → (B, L, D). Keys: {@code fc1.weight} (I, D),
 * {@code fc1.bias} (I), {@code fc2.weight} (D, I), {@code fc2.bias} (D).
 */
public final class ClipMlp extends Module {
    private final Activations activation;
    private final Linear fc1;
    private final Linear fc2;

    /** Builds both layers from {@code config}. */
    public ClipMlp(NDManager manager, ClipTextConfig config) {
        this.activation = config.activation();
        this.fc1 = registerModule("fc1", new Linear(manager, config.hiddenSize(), config.intermediateSize(), true));
        this.fc2 = registerModule("fc2", new Linear(manager, config.intermediateSize(), config.hiddenSize(), true));
    }

    /** Applies the MLP to {@code hiddenStates} (B, L, D); returns (B, L, D). */
    public NDArray forward(NDArray hiddenStates) {
        NDArray h = fc1.forward(hiddenStates); // (B, L, I)
        h = activation.apply(h);
        return fc2.forward(h);                 // (B, L, D)
    }
}
