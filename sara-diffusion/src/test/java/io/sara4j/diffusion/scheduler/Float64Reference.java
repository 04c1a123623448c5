package io.sara4j.diffusion.scheduler;

/**
 * Independent float64 versions of the schedule formulas, written from the papers, for the
 * formula tests: the production code rounds to float32 where the reference does, these do not.
 */
final class Float64Reference {
    static final double SD_BETA_START = 0.00085;
    static final double SD_BETA_END = 0.012;
    static final int T = 1000;

    private Float64Reference() {}

    /** Stable Diffusion's scaled_linear betas. */
    static double[] scaledLinearBetas() {
        double[] b = new double[T];
        double a = Math.sqrt(SD_BETA_START);
        double z = Math.sqrt(SD_BETA_END);
        for (int i = 0; i < T; i++) {
            double r = a + (z - a) * i / (T - 1.0);
            b[i] = r * r;
        }
        return b;
    }

    /** ᾱ_t = ∏_{s≤t} (1 − β_s). */
    static double[] alphasCumprod(double[] betas) {
        double[] out = new double[betas.length];
        double p = 1;
        for (int t = 0; t < betas.length; t++) {
            p *= 1 - betas[t];
            out[t] = p;
        }
        return out;
    }

    /** SD's ᾱ in float64. */
    static double[] sdAlphasCumprod() {
        return alphasCumprod(scaledLinearBetas());
    }

    /** The JSON of an SD1-style config with extra keys spliced in. */
    static SchedulerConfig sdConfig(String extra) {
        return SchedulerConfig.fromJson("{\"beta_schedule\": \"scaled_linear\", \"beta_start\": 0.00085,"
                + " \"beta_end\": 0.012, \"clip_sample\": false, \"set_alpha_to_one\": false,"
                + " \"steps_offset\": 1" + (extra.isEmpty() ? "" : ", " + extra) + "}");
    }
}
