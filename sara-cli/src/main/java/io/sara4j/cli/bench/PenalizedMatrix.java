package io.sara4j.cli.bench;

import java.util.Arrays;
import java.util.Random;

/**
 * A matrix like the one SaRA's rank penalty takes the nuclear norm of, P ⊙ M (paper §3.1): a
 * weight-like matrix with N(0, 0.02²) entries of which only the {@code density} fraction with the
 * smallest |w| is kept (SaRA's selection of ineffective parameters), zeros elsewhere. It is a random
 * sparse matrix, so when square its small singular values reach far below σ_max: the hard case for
 * Newton–Schulz.
 *
 * @param rows rows
 * @param cols columns
 * @param values row-major entries, each exactly representable in float32 (what the penalty holds)
 */
public record PenalizedMatrix(int rows, int cols, float[] values) {
    /** Standard deviation of the weight-like entries. */
    static final double WEIGHT_STD = 0.02;

    /**
     * A seeded matrix of {@code rows}×{@code cols} keeping the {@code density} fraction of smallest |w|.
     *
     * @throws IllegalArgumentException if a dimension is not positive or the density is not in (0, 1]
     */
    public static PenalizedMatrix random(int rows, int cols, double density, long seed) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("matrix shape must be positive, got " + rows + "x" + cols);
        }
        requireDensity(density);
        Random random = new Random(seed);
        float[] w = new float[Math.multiplyExact(rows, cols)];
        float[] magnitudes = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (WEIGHT_STD * random.nextGaussian());
            magnitudes[i] = Math.abs(w[i]);
        }
        Arrays.sort(magnitudes);
        int kept = (int) Math.ceil(density * w.length);
        float threshold = magnitudes[kept - 1]; // keep |w| ≤ the kept-th smallest magnitude
        for (int i = 0; i < w.length; i++) {
            if (Math.abs(w[i]) > threshold) {
                w[i] = 0;
            }
        }
        return new PenalizedMatrix(rows, cols, w);
    }

    /**
     * Checks a density given as {@code --density}.
     *
     * @throws IllegalArgumentException unless it is in (0, 1]
     */
    public static void requireDensity(double density) {
        if (!(density > 0 && density <= 1)) {
            throw new IllegalArgumentException("--density must be in (0, 1], got " + density);
        }
    }

    /** The entries as float64, row-major (for EJML). */
    public double[] toDoubles() {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = values[i];
        }
        return d;
    }
}
