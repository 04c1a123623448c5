package io.sara4j.diffusion.text;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * What {@link ClipTextModel#forward} returns (transformers' {@code BaseModelOutputWithPooling}
 * with {@code output_hidden_states=True}, plus the SD2-style penultimate embedding).
 *
 * @param lastHiddenState (B, L, D): the last layer's output after {@code final_layer_norm};
 *     the prompt embedding of SD1.x pipelines
 * @param pooledOutput (B, D): {@code lastHiddenState} at each row's end-of-text position
 * @param hiddenStates num_hidden_layers + 1 arrays (B, L, D): the embeddings, then each layer's
 *     output, none of them passed through {@code final_layer_norm}
 * @param penultimateFinalLayerNorm (B, L, D): {@code hiddenStates} second from the end passed
 *     through {@code final_layer_norm} (diffusers' {@code clip_skip=1} prompt embedding)
 */
public record ClipTextOutput(
        NDArray lastHiddenState,
        NDArray pooledOutput,
        List<NDArray> hiddenStates,
        NDArray penultimateFinalLayerNorm) {

    /** Copies the list so the record stays immutable. */
    public ClipTextOutput {
        hiddenStates = List.copyOf(hiddenStates);
    }

    /** The second-to-last layer's output (B, L, D), before {@code final_layer_norm}. */
    public NDArray penultimateHiddenState() {
        return hiddenStates.get(hiddenStates.size() - 2);
    }
}
