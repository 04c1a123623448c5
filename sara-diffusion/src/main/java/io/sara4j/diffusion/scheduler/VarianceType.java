package io.sara4j.diffusion.scheduler;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * The variance of DDPM's reverse step ({@code variance_type}). Only {@code fixed_small} is
 * supported: σ_t² = β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t (Ho et al. 2020, eq. 7), the posterior
 * variance, which is what Stable Diffusion checkpoints were trained with.
 */
public enum VarianceType {
    FIXED_SMALL("fixed_small");

    private final String jsonName;

    VarianceType(String jsonName) {
        this.jsonName = jsonName;
    }

    /** The name used in {@code scheduler_config.json}. */
    @JsonValue
    @Override
    public String toString() {
        return jsonName;
    }
}
