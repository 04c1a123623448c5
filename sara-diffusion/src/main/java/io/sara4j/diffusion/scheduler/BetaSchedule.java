package io.sara4j.diffusion.scheduler;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How the per-step noise variances β_1..β_T are laid out ({@code beta_schedule}).
 *
 * <ul>
 *   <li>{@code linear}: β evenly spaced from {@code beta_start} to {@code beta_end} (DDPM, Ho et
 *       al. 2020, §4).
 *   <li>{@code scaled_linear}: √β evenly spaced from √{@code beta_start} to √{@code beta_end},
 *       then squared (the latent-diffusion schedule every Stable Diffusion uses).
 *   <li>{@code squaredcos_cap_v2}: β_i = min(1 − ᾱ(i+1/T)/ᾱ(i/T), 0.999) with
 *       ᾱ(s) = cos²((s + 0.008)/1.008 · π/2) (Nichol &amp; Dhariwal 2021, eq. 17).
 * </ul>
 * Values are computed in float64; {@link NoiseSchedule} rounds them to float32 as the reference
 * stores them.
 */
public enum BetaSchedule {
    LINEAR("linear"),
    SCALED_LINEAR("scaled_linear"),
    SQUAREDCOS_CAP_V2("squaredcos_cap_v2");

    private static final double COSINE_OFFSET = 0.008;
    private static final double MAX_BETA = 0.999;

    private final String jsonName;

    BetaSchedule(String jsonName) {
        this.jsonName = jsonName;
    }

    /** The name used in {@code scheduler_config.json}. */
    @JsonValue
    @Override
    public String toString() {
        return jsonName;
    }

    /** β_1..β_T in float64 (index 0 is the first training step). */
    public double[] betas(int numTrainTimesteps, double betaStart, double betaEnd) {
        int n = numTrainTimesteps;
        double[] betas = new double[n];
        switch (this) {
            case LINEAR:
                for (int i = 0; i < n; i++) {
                    betas[i] = linspace(betaStart, betaEnd, n, i);
                }
                break;
            case SCALED_LINEAR:
                for (int i = 0; i < n; i++) {
                    double root = linspace(Math.sqrt(betaStart), Math.sqrt(betaEnd), n, i);
                    betas[i] = root * root;
                }
                break;
            case SQUAREDCOS_CAP_V2:
                for (int i = 0; i < n; i++) {
                    double ratio = alphaBar((i + 1) / (double) n) / alphaBar(i / (double) n);
                    betas[i] = Math.min(1 - ratio, MAX_BETA);
                }
                break;
            default:
                throw new AssertionError(this);
        }
        return betas;
    }

    /** Point i of n evenly spaced points from start to end, both included. */
    private static double linspace(double start, double end, int n, int i) {
        if (n == 1) {
            return start;
        }
        return i == n - 1 ? end : start + (end - start) * i / (n - 1);
    }

    /** ᾱ(s) of the cosine schedule, s in [0, 1]. */
    private static double alphaBar(double s) {
        double c = Math.cos((s + COSINE_OFFSET) / (1 + COSINE_OFFSET) * Math.PI / 2);
        return c * c;
    }
}
