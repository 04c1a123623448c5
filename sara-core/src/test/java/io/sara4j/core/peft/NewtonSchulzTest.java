package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import java.util.Random;
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
}
