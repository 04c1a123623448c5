package io.sara4j.diffusion.scheduler;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * What the denoising model predicts ({@code prediction_type}), with x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε:
 * {@code epsilon} the noise ε (DDPM, SD1.x, SD2-base), {@code v_prediction} the velocity
 * v = √ᾱ_t·ε − √(1−ᾱ_t)·x_0 (Salimans &amp; Ho 2022, §4; SD2.x 768).
 */
public enum PredictionType {
    EPSILON("epsilon"),
    V_PREDICTION("v_prediction");

    private final String jsonName;

    PredictionType(String jsonName) {
        this.jsonName = jsonName;
    }

    /** The name used in {@code scheduler_config.json}. */
    @JsonValue
    @Override
    public String toString() {
        return jsonName;
    }
}
