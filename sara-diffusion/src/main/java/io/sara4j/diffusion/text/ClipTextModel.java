package io.sara4j.diffusion.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.nn.Module;
import io.sara4j.diffusion.loading.WeightFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * transformers {@code CLIPTextModel}: the text encoder of Stable Diffusion.
 *
 * <p>Shapes: ids (B, L) int64 (L = 77 for Stable Diffusion) → last hidden state (B, L, D) and
 * pooled output (B, D); D = {@code hidden_size} (768 for SD1.x, 1024 for SD2.x). Keys: everything
 * under {@code text_model.} ({@link ClipTextTransformer}), exactly as in the {@code model.safetensors}
 * of a {@code text_encoder/} folder.
 */
public final class ClipTextModel extends Module {
    /** A buffer (0..76) that checkpoints written before transformers 4.31 store; it holds no weights. */
    static final String POSITION_IDS_KEY = "text_model.embeddings.position_ids";

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

    /**
     * Loads a {@code text_encoder/} folder: {@code config.json} and {@code model.safetensors} (or
     * the single {@code model.<variant>.safetensors} present), strictly by key.
     *
     * @param computeType FLOAT32, FLOAT16 or FLOAT64; weights stored in another type are converted
     * @throws IllegalArgumentException naming the file and every key or shape problem
     */
    public static ClipTextModel load(Path folder, NDManager manager, DataType computeType) throws IOException {
        ClipTextConfig config = ClipTextConfig.read(folder.resolve(WeightFiles.CONFIG_NAME));
        return load(config, WeightFiles.find(folder, WeightFiles.TRANSFORMERS_BASE, null), manager, computeType);
    }

    /** Builds a model from {@code config} and loads {@code weightsFile} into it, as {@link #load(Path, NDManager, DataType)}. */
    public static ClipTextModel load(ClipTextConfig config, Path weightsFile, NDManager manager, DataType computeType)
            throws IOException {
        return WeightFiles.load(() -> new ClipTextModel(manager, config), weightsFile, Set.of(POSITION_IDS_KEY),
                computeType);
    }

    /**
     * Writes this model as a transformers {@code text_encoder/} folder ({@code config.json} and
     * {@code model.safetensors}, parameters in their stored type, no {@code position_ids} buffer),
     * creating the folder if needed; each file appears atomically. {@link #load(Path, NDManager, DataType)}
     * and transformers' {@code CLIPTextModel.from_pretrained} read it back.
     */
    public void save(Path folder) throws IOException {
        WeightFiles.save(folder, WeightFiles.TRANSFORMERS_BASE, this, config.toJson());
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
