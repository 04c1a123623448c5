package io.sara4j.diffusion.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Module;

/**
 * transformers {@code CLIPTextModel}: the text encoder of Stable Diffusion.
 *
 * <p>Shapes: ids (B, L) int64 (L = 77 for Stable Diffusion) → last hidden state (B, L, D) and
 * pooled output (B, D); D = {@code hidden_size} (768 for SD1.x, 1024 for SD2.x). Keys: everything
 * under {@code text_model.} ({@link ClipTextTransformer}), exactly as in the {@code model.safetensors}
 * of a {@code text_encoder/} folder.
 */
public final class ClipTextModel extends Module {
    private final ClipTextConfig config;
    private final ClipTextTransformer textModel;

    /** A model with freshly initialised weights, shaped by {@code config}. */
    public ClipTextModel(NDManager manager, ClipTextConfig config) {
        this.config = config;
        this.textModel = registerModule("text_model", new ClipTextTransformer(manager, config));
    }

    /**
     * Encodes {@code inputIds} (B, L) int64.
     *
     * @return last hidden state (B, L, D), pooled output (B, D), all hidden states and the
     *     normalised penultimate state
     */
    public ClipTextOutput forward(NDArray inputIds) {
        return textModel.forward(inputIds);
    }

    /** The configuration this model was built from. */
    public ClipTextConfig config() {
        return config;
    }

    /** The transformer under {@code text_model.}. */
    public ClipTextTransformer textModel() {
        return textModel;
    }
}
