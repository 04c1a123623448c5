package io.sara4j.diffusion.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.ModuleList;
import java.util.ArrayList;
import java.util.List;

/**
 * transformers {@code CLIPEncoder}: the stack of {@link ClipEncoderLayer}s.
 *
 * <p>Shapes: (B, L, D) in and out. Keys: {@code layers.N.*} for N in [0, num_hidden_layers).
 */
public final class ClipEncoder extends Module {
    private final ModuleList<ClipEncoderLayer> layers;

    /** Builds {@code num_hidden_layers} layers from {@code config}. */
    public ClipEncoder(NDManager manager, ClipTextConfig config) {
        this.layers = registerModule("layers", new ModuleList<>());
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new ClipEncoderLayer(manager, config));
        }
    }

    /**
     * Runs every layer on {@code inputsEmbeds} (B, L, D).
     *
     * @param mask additive attention mask broadcastable to (B, heads, L, L), or {@code null}
     * @return num_hidden_layers + 1 states, each (B, L, D): the input, then the output of each
     *     layer (transformers' {@code hidden_states}); the last one is the encoder's output
     */
    public List<NDArray> forward(NDArray inputsEmbeds, NDArray mask) {
        List<NDArray> states = new ArrayList<>(layers.size() + 1);
        NDArray h = inputsEmbeds;
        states.add(h);
        for (ClipEncoderLayer layer : layers) {
            h = layer.forward(h, mask);
            states.add(h);
        }
        return states;
    }

    /** The layers. */
    public ModuleList<ClipEncoderLayer> layers() {
        return layers;
    }
}
