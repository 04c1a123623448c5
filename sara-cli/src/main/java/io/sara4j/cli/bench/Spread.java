package io.sara4j.cli.bench;

import java.util.Arrays;

/**
 * Summary of repeated timings: extremes, the 10th and 90th percentiles and the median, each by
 * linear interpolation between order statistics (numpy's default), so a single slow step moves the
 * maximum but not the median.
 */
public record Spread(double min, double p10, double median, double p90, double max) {

    /**
     * The spread of {@code samples}.
     *
     * @throws IllegalArgumentException when there are no samples
     */
    public static Spread of(double[] samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples to summarise");
        }
        double[] s = samples.clone();
        Arrays.sort(s);
        return new Spread(s[0], quantile(s, 0.1), quantile(s, 0.5), quantile(s, 0.9), s[s.length - 1]);
    }

    /** The q-quantile of sorted {@code s}: position q·(n − 1), interpolated between its neighbours. */
    static double quantile(double[] s, double q) {
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, s.length - 1);
        return s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }
}
