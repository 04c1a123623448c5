package io.sara4j.diffusion.pipeline;

import io.sara4j.diffusion.scheduler.PredictionType;

/**
 * The options of {@link DiffusionObjective} that trainers such as diffusers'
 * {@code train_text_to_image.py} offer on top of the plain MSE loss. {@link #DEFAULTS} leaves the
 * loss exactly as without options.
 *
 * @param snrGamma γ of min-SNR-γ loss weighting ({@link MinSnrWeighting}; Hang et al. 2023
 *     recommend 5), or null for unweighted MSE
 * @param noiseOffset scale of the per-(sample, channel) constant added to the training noise
 *     (ε ← ε + offset·N(0, 1) of shape (B, C, 1, 1), as in diffusers' {@code --noise_offset};
 *     typically 0.05–0.1), or 0 for none
 * @param predictionType what the model learns to predict, or null for the scheduler config's
 *     {@code prediction_type}
 */
public record LossOptions(Double snrGamma, double noiseOffset, PredictionType predictionType) {
    /** No weighting, no noise offset, the scheduler's prediction type. */
    public static final LossOptions DEFAULTS = new LossOptions(null, 0, null);

    /**
     * Checks the values.
     *
     * @throws IllegalArgumentException if {@code snrGamma} is not a finite value &gt; 0 or
     *     {@code noiseOffset} is not a finite value &gt;= 0
     */
    public LossOptions {
        if (snrGamma != null && !(snrGamma > 0 && Double.isFinite(snrGamma))) {
            throw new IllegalArgumentException("snr gamma must be a finite value > 0, got " + snrGamma);
        }
        if (!(noiseOffset >= 0 && Double.isFinite(noiseOffset))) {
            throw new IllegalArgumentException("noise offset must be a finite value >= 0, got " + noiseOffset);
        }
    }
}
