package io.sara4j.diffusion.loading;

import io.sara4j.diffusion.scheduler.PredictionType;
import java.nio.file.Path;

/**
 * Overrides for loading a single-file checkpoint.
 *
 * @param configDir a diffusers model folder whose {@code unet/}, {@code vae/}, {@code text_encoder/}
 *     configs, {@code tokenizer/} and {@code scheduler/} are used instead of inferred or bundled
 *     ones (each only if present there), or {@code null}
 * @param predictionType the model's prediction type, or {@code null} for the config's or the
 *     heuristic (SD2.x: v_prediction; SD1.x: epsilon)
 */
public record SingleFileOptions(Path configDir, PredictionType predictionType) {
    /** No overrides. */
    public static final SingleFileOptions NONE = new SingleFileOptions(null, null);
}
