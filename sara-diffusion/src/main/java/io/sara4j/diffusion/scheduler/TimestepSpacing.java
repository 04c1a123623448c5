package io.sara4j.diffusion.scheduler;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How n inference timesteps are picked from the T training timesteps ({@code timestep_spacing};
 * the three rows of Table 2 in Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps
 * are Flawed"). All lists are in decreasing order.
 *
 * <ul>
 *   <li>{@code leading}: k·⌊T/n⌋ + steps_offset for k = n−1..0 (SD1.x: 901, 801, ..., 1).
 *   <li>{@code trailing}: round(T − k·T/n) − 1 for k = 0..n−1 (999, 899, ..., 99).
 *   <li>{@code linspace}: n evenly spaced points of [0, T−1], rounded to integers (half to even)
 *       for DDPM/DDIM and kept fractional for Euler.
 * </ul>
 */
public enum TimestepSpacing {
    LEADING("leading"),
    TRAILING("trailing"),
    LINSPACE("linspace");

    private final String jsonName;

    TimestepSpacing(String jsonName) {
        this.jsonName = jsonName;
    }

    /** The name used in {@code scheduler_config.json}. */
    @JsonValue
    @Override
    public String toString() {
        return jsonName;
    }

    /**
     * The n timesteps, largest first.
     *
     * @param numTrainTimesteps T
     * @param numInferenceSteps n, in [1, T]
     * @param stepsOffset added to every timestep of {@code leading} spacing only
     * @param roundLinspace whether {@code linspace} points are rounded to integers
     */
    public double[] timesteps(int numTrainTimesteps, int numInferenceSteps, int stepsOffset, boolean roundLinspace) {
        int t = numTrainTimesteps;
        int n = numInferenceSteps;
        if (n < 1 || n > t) {
            throw new IllegalArgumentException("the number of inference steps must be in [1, " + t
                    + "] (num_train_timesteps), got " + n);
        }
        double[] out = new double[n];
        switch (this) {
            case LEADING: {
                int ratio = t / n;
                for (int k = 0; k < n; k++) {
                    out[n - 1 - k] = (double) k * ratio + stepsOffset;
                }
                break;
            }
            case TRAILING: {
                // The points T, T − T/n, ... evaluated as numpy's arange does: first + k·(second − first).
                double second = t + (-(double) t / n);
                double delta = second - t;
                for (int k = 0; k < n; k++) {
                    double point = k == 0 ? t : k == 1 ? second : t + k * delta;
                    out[k] = Math.rint(point) - 1;
                }
                break;
            }
            case LINSPACE: {
                double step = n == 1 ? 0 : (t - 1) / (double) (n - 1);
                for (int k = 0; k < n; k++) {
                    double point = (n > 1 && k == n - 1) ? t - 1 : k * step;
                    out[n - 1 - k] = roundLinspace ? Math.rint(point) : (float) point;
                }
                break;
            }
            default:
                throw new AssertionError(this);
        }
        return out;
    }
}
