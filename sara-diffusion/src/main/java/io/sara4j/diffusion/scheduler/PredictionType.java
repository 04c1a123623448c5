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

    /**
     * The type named {@code name} ({@code epsilon} or {@code v_prediction}), as a command line gives
     * it.
     *
     * @throws IllegalArgumentException for any other name; {@code sample} (x₀-prediction) is
     *     refused with the reason, since the schedulers here do not implement it
     */
    public static PredictionType fromName(String name) {
        for (PredictionType type : values()) {
            if (type.jsonName.equals(name)) {
                return type;
            }
        }
        if ("sample".equals(name)) {
            throw new IllegalArgumentException("prediction type 'sample' (x0-prediction) is not supported:"
                    + " the DDPM, DDIM and Euler schedulers here implement only epsilon and v_prediction");
        }
        throw new IllegalArgumentException("unknown prediction type '" + name + "' (supported: epsilon, v_prediction)");
    }

    /** The name used in {@code scheduler_config.json}. */
    @JsonValue
    @Override
    public String toString() {
        return jsonName;
    }
}
