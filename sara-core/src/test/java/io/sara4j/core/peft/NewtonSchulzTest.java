package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NewtonSchulzTest {
    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = Engines.pytorch().newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Random entries at density {@code density}, the rest zero, rounded to float (what M ⊙ P looks like). */
    private static double[] sparse(Random r, int n, double density) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            if (r.nextDouble() < density) {
                a[i] = (float) ((r.nextDouble() * 2 - 1) * 2e-3);
            }
        }
        return a;
    }

    private void checkAgainstSvd(double[] a, int rows, int cols) {
        double[] rounded = Tensors.roundToFloat(a); // both sides see the same float32 matrix
        Svd.Polar exact = Svd.polar(rounded, rows, cols, 1e-12);
        try (NewtonSchulz.PolarFactor ns = NewtonSchulz.polar(Tensors.float32(manager, rounded, new Shape(rows, cols)))) {
            assertThat(ns.converged()).isTrue();
            assertThat(ns.factor().getShape()).isEqualTo(new Shape(rows, cols));
            assertThat(Tensors.maxRelativeError(Tensors.toDoubles(ns.factor()), exact.factor())).isLessThan(1e-3);
            assertThat(Math.abs(ns.nuclearNorm() - exact.nuclearNorm()) / exact.nuclearNorm()).isLessThan(1e-6);
        }
    }

    @Test
    void sparseSquareMatchesSvd() {
        checkAgainstSvd(sparse(new Random(1), 40 * 40, 0.3), 40, 40);
    }

    @Test
    void sparseTallMatchesSvd() {
        checkAgainstSvd(sparse(new Random(2), 60 * 24, 0.4), 60, 24);
    }

    @Test
    void sparseWideMatchesSvd() {
        checkAgainstSvd(sparse(new Random(3), 20 * 70, 0.4), 20, 70);
    }

    @Test
    void illConditionedMatchesSvd() {
        int n = 30;
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = Math.pow(10, -6.0 * i / (n - 1)); // condition number 1e6
        }
        checkAgainstSvd(Svd.withSingularValues(new Random(4), n, n, s), n, n);
    }

    @Test
    void exactlyRankDeficientGivesThePartialIsometryOfTheRange() {
        // rank 3: a product of small-integer factors (exact in float32), with an all-zero last row and
        // column and a duplicated row, the structures a sparse mask produces
        Random r = new Random(5);
        int rows = 16;
        int cols = 12;
        double[] a = new double[rows * cols];
        int[] b = new int[rows * 3];
        int[] c = new int[3 * cols];
        for (int i = 0; i < b.length; i++) {
            b[i] = r.nextInt(7) - 3;
        }
        for (int i = 0; i < c.length; i++) {
            c[i] = r.nextInt(7) - 3;
        }
        for (int i = 0; i < rows - 1; i++) {
            int src = i == 1 ? 0 : i; // row 1 duplicates row 0
            for (int j = 0; j < cols - 1; j++) {
                for (int k = 0; k < 3; k++) {
                    a[i * cols + j] += b[src * 3 + k] * c[k * cols + j];
                }
            }
        }
        Svd.Polar exact = Svd.polar(a, rows, cols, 1e-9);
        try (NewtonSchulz.PolarFactor ns = NewtonSchulz.polar(Tensors.float32(manager, a, new Shape(rows, cols)))) {
            assertThat(Tensors.maxRelativeError(Tensors.toDoubles(ns.factor()), exact.factor())).isLessThan(1e-3);
            assertThat(Math.abs(ns.nuclearNorm() - exact.nuclearNorm()) / exact.nuclearNorm()).isLessThan(1e-6);
            double[] q = Tensors.toDoubles(ns.factor());
            for (int j = 0; j < cols; j++) {
                assertThat(q[(rows - 1) * cols + j]).isZero(); // the zero row stays exactly zero
                assertThat(q[cols + j]).isEqualTo(q[j]);       // duplicated rows stay duplicated
            }
        }
    }

    @Test
    void zeroMatrixHasZeroFactorAndNorm() {
        try (NewtonSchulz.PolarFactor ns = NewtonSchulz.polar(manager.zeros(new Shape(5, 7)))) {
            assertThat(ns.nuclearNorm()).isZero();
            assertThat(Tensors.toDoubles(ns.factor())).containsOnly(0.0);
        }
    }

    @Test
    void rejectsNon2dAndNonFiniteInput() {
        NDArray cube = manager.zeros(new Shape(2, 2, 2));
        assertThatThrownBy(() -> NewtonSchulz.polar(cube)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2-D");
        NDArray bad = manager.create(new float[] {1, Float.NaN, 0, 1}, new Shape(2, 2));
        assertThatThrownBy(() -> NewtonSchulz.polar(bad)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-finite");
    }

    @Test
    void iterationCapIsHonoured() {
        NDArray a = Tensors.float32(manager, sparse(new Random(6), 100, 0.5), new Shape(10, 10));
        try (NewtonSchulz.PolarFactor ns = NewtonSchulz.polar(a, 1e-10, 2)) {
            assertThat(ns.iterations()).isEqualTo(2);
            assertThat(ns.converged()).isFalse();
        }
    }

    // ---- fast mode ----

    /** The fixed schedule as a map of one scaled singular value (what it does to every σ of X/‖X‖_S8). */
    private static double fastScheduleMap(double sigma) {
        double x = sigma;
        for (double[] c : NewtonSchulz.FAST_SCHEDULE) {
            double x2 = x * x;
            x = x * (c[0] + c[1] * x2 + c[2] * x2 * x2);
        }
        return x;
    }

    @Test
    void fastScheduleBringsEverySingularValueAboveItsLowerBoundWithin1e4OfOne() {
        double lower = NewtonSchulz.SCHEDULE_LOWER_BOUND;
        double previous = 0;
        for (int i = 0; i <= 200_000; i++) {
            // a linear grid over [0, 1] and a logarithmic one over [1e-9, 1]
            for (double sigma : new double[] {i / 200_000.0, Math.pow(10, -9 + 9.0 * i / 200_000)}) {
                double f = fastScheduleMap(sigma);
                assertThat(f).as("f(%s)", sigma).isBetween(0.0, 1 + 1e-4);
                if (sigma >= lower) {
                    assertThat(Math.abs(f - 1)).as("|f(%s) - 1|", sigma).isLessThan(1e-4);
                }
            }
            double sigma = lower * i / 200_000.0; // below the bound the map only grows: no direction overtakes
            double f = fastScheduleMap(sigma);
            assertThat(f).as("f(%s)", sigma).isGreaterThanOrEqualTo(previous);
            previous = f;
        }
        // up to 1% above 1 (rounding of the scale) stays bounded too: the safety factor
        assertThat(fastScheduleMap(1.01)).isBetween(0.9, 1.1);
    }

    /**
     * SaRA's P ⊙ M: weight-like N(0, 0.02²) entries, keeping the smallest {@code density} of |w|.
     * A random sparse matrix whose small singular values reach far below σ_max when square.
     */
    private static double[] saraLike(Random r, int n, double density) {
        double[] w = new double[n];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (0.02 * r.nextGaussian());
        }
        double[] sorted = w.clone();
        for (int i = 0; i < sorted.length; i++) {
            sorted[i] = Math.abs(sorted[i]);
        }
        java.util.Arrays.sort(sorted);
        double threshold = sorted[(int) (density * sorted.length)];
        for (int i = 0; i < w.length; i++) {
            if (Math.abs(w[i]) >= threshold) {
                w[i] = 0;
            }
        }
        return w;
    }

    private static double frobeniusRelativeError(double[] actual, double[] expected) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < actual.length; i++) {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        return Math.sqrt(diff / norm);
    }

    private void checkFastAgainstSvd(double[] a, int rows, int cols) {
        Svd.Polar exact = Svd.polar(a, rows, cols, 0); // every non-zero σ: the exact subgradient U·Vᵀ
        try (NewtonSchulz.PolarFactor fast = NewtonSchulz.fastPolar(Tensors.float32(manager, a, new Shape(rows, cols)))) {
            assertThat(fast.iterations()).isEqualTo(NewtonSchulz.FAST_SCHEDULE.length);
            assertThat(fast.factor().getShape()).isEqualTo(new Shape(rows, cols));
            assertThat(frobeniusRelativeError(Tensors.toDoubles(fast.factor()), exact.factor())).isLessThan(1e-2);
            assertThat(Math.abs(fast.nuclearNorm() - exact.nuclearNorm()) / exact.nuclearNorm()).isLessThan(1e-4);
        }
    }

    @Test
    void fastMatchesSvdOnSaraLikeSquareTallAndWideMatrices() {
        checkFastAgainstSvd(saraLike(new Random(11), 96 * 96, 0.1), 96, 96);
        checkFastAgainstSvd(saraLike(new Random(12), 120 * 48, 0.1), 120, 48);
        checkFastAgainstSvd(saraLike(new Random(13), 40 * 100, 0.1), 40, 100);
    }

    /**
     * The documented bound, with U₊, V₊ the singular vectors of σ ≥ resolution·‖A‖_S8: U₊ᵀ·Q·V₊ is
     * within the accuracy of the identity entry by entry; Q maps V₊ into span U₊ and U₊ into span V₊
     * up to the accuracy (the cross terms (I − U₊U₊ᵀ)·Q·V₊ and U₊ᵀ·Q·(I − V₊V₊ᵀ), where float32's
     * leak shows); and the rest W = (I − U₊U₊ᵀ)·Q·(I − V₊V₊ᵀ), the numerically null part, has
     * ‖W‖₂ ≤ 1 + accuracy, as a subgradient's must.
     */
    private void checkFastDirectionwise(double[] a, int rows, int cols) {
        double[] rounded = Tensors.roundToFloat(a);
        var svd = Svd.decompose(rounded, rows, cols);
        double[] s = svd.getSingularValues();
        int r = svd.numberOfSingularValues();
        double s8 = 0;
        for (int i = 0; i < r; i++) {
            s8 += Math.pow(s[i], 8);
        }
        s8 = Math.pow(s8, 1.0 / 8);
        java.util.List<Integer> above = new java.util.ArrayList<>();
        for (int i = 0; i < r; i++) {
            if (s[i] >= NewtonSchulz.FAST_RESOLUTION * s8) {
                above.add(i);
            }
        }
        assertThat(above).as("directions above the resolution").isNotEmpty();
        DMatrixRMaj u = columns(svd.getU(null, false), above); // U₊ (rows, p)
        DMatrixRMaj v = columns(svd.getV(null, false), above); // V₊ (cols, p)
        double tolerance = NewtonSchulz.FAST_ACCURACY;
        try (NewtonSchulz.PolarFactor fast = NewtonSchulz.fastPolar(Tensors.float32(manager, rounded, new Shape(rows, cols)))) {
            DMatrixRMaj q = new DMatrixRMaj(rows, cols, true, Tensors.toDoubles(fast.factor()));
            DMatrixRMaj qv = CommonOps_DDRM.mult(q, v, null);           // Q·V₊ (rows, p)
            DMatrixRMaj d = CommonOps_DDRM.multTransA(u, qv, null);     // U₊ᵀ·Q·V₊ (p, p)
            assertThat(maxAbs(CommonOps_DDRM.subtract(d, CommonOps_DDRM.identity(above.size()), null)))
                    .as("U₊ᵀ·Q·V₊ − I").isLessThan(tolerance);
            DMatrixRMaj crossRows = CommonOps_DDRM.subtract(qv, CommonOps_DDRM.mult(u, d, null), null);  // (I − U₊U₊ᵀ)·Q·V₊
            DMatrixRMaj uq = CommonOps_DDRM.multTransA(u, q, null);                                      // U₊ᵀ·Q (p, cols)
            DMatrixRMaj crossCols = CommonOps_DDRM.subtract(uq, CommonOps_DDRM.multTransB(d, v, null), null); // U₊ᵀ·Q·(I − V₊V₊ᵀ)
            assertThat(maxAbs(crossRows)).as("(I − U₊U₊ᵀ)·Q·V₊").isLessThan(tolerance);
            assertThat(maxAbs(crossCols)).as("U₊ᵀ·Q·(I − V₊V₊ᵀ)").isLessThan(tolerance);
            // W = Q − U₊·(U₊ᵀ·Q) − (I − U₊U₊ᵀ)·Q·V₊·V₊ᵀ
            DMatrixRMaj w = CommonOps_DDRM.subtract(q, CommonOps_DDRM.mult(u, uq, null), null);
            w = CommonOps_DDRM.subtract(w, CommonOps_DDRM.multTransB(crossRows, v, null), null);
            double[] wSigma = Svd.decompose(w.data, rows, cols).getSingularValues();
            assertThat(java.util.Arrays.stream(wSigma).max().orElseThrow()).as("‖W‖₂").isLessThanOrEqualTo(1 + tolerance);
        }
    }

    /** The columns {@code keep} of {@code m}. */
    private static DMatrixRMaj columns(DMatrixRMaj m, java.util.List<Integer> keep) {
        DMatrixRMaj out = new DMatrixRMaj(m.numRows, keep.size());
        for (int i = 0; i < m.numRows; i++) {
            for (int k = 0; k < keep.size(); k++) {
                out.set(i, k, m.get(i, keep.get(k)));
            }
        }
        return out;
    }

    private static double maxAbs(DMatrixRMaj m) {
        return java.util.Arrays.stream(m.data).map(Math::abs).max().orElse(0);
    }

    /** Singular values log-spaced from 1 down to {@code smallest}. */
    private static double[] spread(int n, double smallest) {
        double[] s = new double[n];
        for (int i = 0; i < n; i++) {
            s[i] = Math.pow(smallest, (double) i / (n - 1));
        }
        return s;
    }

    @Test
    void fastMeetsItsBoundOnIllConditionedTallAndWideMatrices() {
        checkFastDirectionwise(Svd.withSingularValues(new Random(14), 40, 40, spread(40, 1e-6)), 40, 40);
        checkFastDirectionwise(Svd.withSingularValues(new Random(15), 50, 30, spread(30, 1e-6)), 50, 30);
        checkFastDirectionwise(Svd.withSingularValues(new Random(16), 30, 50, spread(30, 1e-6)), 30, 50);
    }

    @Test
    void fastMeetsItsBoundOnRankDeficientMatrices() {
        double[] s = new double[] {1, 0.3, 0.1, 0.01, 1e-3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        checkFastDirectionwise(Svd.withSingularValues(new Random(17), 20, 20, s), 20, 20);
        checkFastDirectionwise(Svd.withSingularValues(new Random(18), 32, 20, s), 32, 20);
        checkFastDirectionwise(Svd.withSingularValues(new Random(19), 20, 32, s), 20, 32);
        // a zero row stays exactly zero: the iteration multiplies X by a polynomial from the right
        double[] a = saraLike(new Random(20), 24 * 16, 0.3);
        java.util.Arrays.fill(a, 5 * 16, 6 * 16, 0.0);
        try (NewtonSchulz.PolarFactor fast = NewtonSchulz.fastPolar(Tensors.float32(manager, a, new Shape(24, 16)))) {
            double[] q = Tensors.toDoubles(fast.factor());
            for (int j = 0; j < 16; j++) {
                assertThat(q[5 * 16 + j]).isZero();
            }
        }
    }

    @Test
    void fastHandlesZeroAndRejectsBadInput() {
        try (NewtonSchulz.PolarFactor fast = NewtonSchulz.fastPolar(manager.zeros(new Shape(5, 7)))) {
            assertThat(fast.nuclearNorm()).isZero();
            assertThat(Tensors.toDoubles(fast.factor())).containsOnly(0.0);
        }
        NDArray cube = manager.zeros(new Shape(2, 2, 2));
        assertThatThrownBy(() -> NewtonSchulz.fastPolar(cube)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2-D");
        NDArray bad = manager.create(new float[] {1, Float.POSITIVE_INFINITY, 0, 1}, new Shape(2, 2));
        assertThatThrownBy(() -> NewtonSchulz.fastPolar(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("non-finite");
    }
}
