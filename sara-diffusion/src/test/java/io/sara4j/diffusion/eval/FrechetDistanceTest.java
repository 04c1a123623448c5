package io.sara4j.diffusion.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sara4j.diffusion.eval.FrechetDistance.Gaussian;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

class FrechetDistanceTest {
    private static Gaussian gaussian(double[] mean, double[][] cov) {
        return new Gaussian(mean, cov);
    }

    @Test
    void oneDimensionIsTheSquaredMeanAndStandardDeviationGaps() {
        // d² = (μ1 − μ2)² + σ1² + σ2² − 2·σ1·σ2 = (μ1 − μ2)² + (σ1 − σ2)²
        double d = FrechetDistance.between(gaussian(new double[] {1.5}, new double[][] {{4.0}}),
                gaussian(new double[] {-0.5}, new double[][] {{0.25}}));
        assertThat(d).isCloseTo(2.0 * 2.0 + (2.0 - 0.5) * (2.0 - 0.5), within(1e-12));
    }

    @Test
    void diagonalCovariancesAddUpPerAxis() {
        double[] m1 = {0, 1, 2};
        double[] m2 = {1, 1, -1};
        double[] v1 = {1, 4, 9};
        double[] v2 = {4, 4, 0.25};
        double expected = 0;
        for (int i = 0; i < 3; i++) {
            expected += (m1[i] - m2[i]) * (m1[i] - m2[i]) + Math.pow(Math.sqrt(v1[i]) - Math.sqrt(v2[i]), 2);
        }
        double d = FrechetDistance.between(gaussian(m1, diag(v1)), gaussian(m2, diag(v2)));
        assertThat(d).isCloseTo(expected, within(1e-12)); // 1 + 0 + 9 + 1 + 0 + 6.25 = 17.25
        assertThat(expected).isCloseTo(17.25, within(1e-12));
    }

    @Test
    void identicalSetsAreAtDistanceZero() {
        double[][] features = randomSamples(new Random(1), 40, 6);
        assertThat(FrechetDistance.between(features, features)).isCloseTo(0.0, within(1e-9));
        Gaussian g = Gaussian.fit(features);
        assertThat(FrechetDistance.between(g, g)).isCloseTo(0.0, within(1e-9));
    }

    @Test
    void aRotatedCovarianceMatchesTheTwoByTwoTraceIdentity() {
        // Σ1 = diag(4, 1); Σ2 = R(45°)·Σ1·R(45°)ᵀ = [[2.5, 1.5], [1.5, 2.5]].
        // For 2 × 2 M with real non-negative eigenvalues: Tr(√M) = √(Tr M + 2·√det M);
        // M = Σ1Σ2 = [[10, 6], [1.5, 2.5]]: Tr 12.5, det 16, so Tr(√M) = √20.5.
        double[][] s1 = {{4, 0}, {0, 1}};
        double[][] s2 = {{2.5, 1.5}, {1.5, 2.5}};
        double d = FrechetDistance.between(gaussian(new double[2], s1), gaussian(new double[2], s2));
        assertThat(d).isCloseTo(5 + 5 - 2 * Math.sqrt(20.5), within(1e-12));
        // a 90° rotation swaps the axes: (2 − 1)² on each
        double swapped = FrechetDistance.between(gaussian(new double[2], s1),
                gaussian(new double[2], new double[][] {{1, 0}, {0, 4}}));
        assertThat(swapped).isCloseTo(2.0, within(1e-12));
    }

    @Test
    void rotatingBothSetsTogetherChangesNothing() {
        Random random = new Random(7);
        double[][] a = randomSamples(random, 30, 4);
        double[][] b = randomSamples(random, 30, 4);
        double[][] q = orthogonal(random, 4);
        double direct = FrechetDistance.between(a, b);
        double rotated = FrechetDistance.between(multiplyRows(a, q), multiplyRows(b, q));
        assertThat(rotated).isCloseTo(direct, within(1e-9 * direct));
    }

    @Test
    void agreesWithAnIndependentDenmanBeaversSquareRootOfTheProduct() {
        Random random = new Random(11);
        for (int trial = 0; trial < 5; trial++) {
            int d = 3 + trial;
            double[][] s1 = randomSpd(random, d);
            double[][] s2 = randomSpd(random, d);
            double[] m1 = new double[d];
            double[] m2 = new double[d];
            for (int i = 0; i < d; i++) {
                m1[i] = random.nextGaussian();
                m2[i] = random.nextGaussian();
            }
            DMatrixRMaj product = new DMatrixRMaj(d, d);
            CommonOps_DDRM.mult(new DMatrixRMaj(s1), new DMatrixRMaj(s2), product);
            double traceSqrt = CommonOps_DDRM.trace(denmanBeavers(product));
            double expected = 0;
            for (int i = 0; i < d; i++) {
                expected += (m1[i] - m2[i]) * (m1[i] - m2[i]) + s1[i][i] + s2[i][i];
            }
            expected -= 2 * traceSqrt;
            assertThat(FrechetDistance.between(gaussian(m1, s1), gaussian(m2, s2))).as("d = " + d)
                    .isCloseTo(expected, within(1e-9 * Math.max(1, expected)));
        }
    }

    @Test
    void singularCovariancesStayFiniteAndNonNegative() {
        // fewer samples than dimensions: rank-deficient covariances, as with few images and 128 features
        Random random = new Random(5);
        double[][] a = randomSamples(random, 5, 12);
        double[][] b = randomSamples(random, 5, 12);
        double d = FrechetDistance.between(a, b);
        assertThat(d).isFinite().isGreaterThan(0);
    }

    @Test
    void fitUsesTheUnbiasedCovariance() {
        double[][] samples = {{1, 2}, {3, 6}, {5, 4}};
        Gaussian g = Gaussian.fit(samples);
        assertThat(g.mean()).containsExactly(3.0, 4.0);
        // deviations (−2, −2), (0, 2), (2, 0): Σ = [[8, 4], [4, 8]] / 2
        assertThat(g.covariance()[0]).containsExactly(4.0, 2.0);
        assertThat(g.covariance()[1]).containsExactly(2.0, 4.0);
        assertThatThrownBy(() -> Gaussian.fit(new double[][] {{1}})).hasMessageContaining("at least 2 samples");
        assertThatThrownBy(() -> FrechetDistance.between(gaussian(new double[1], new double[][] {{1}}),
                gaussian(new double[2], diag(new double[] {1, 1})))).hasMessageContaining("dimensions 1 and 2");
    }

    /** The Denman–Beavers iteration Y ← (Y + Z⁻¹)/2, Z ← (Z + Y⁻¹)/2 from Y = A, Z = I: Y → A^½. */
    private static DMatrixRMaj denmanBeavers(DMatrixRMaj a) {
        int d = a.numRows;
        DMatrixRMaj y = a.copy();
        DMatrixRMaj z = CommonOps_DDRM.identity(d);
        for (int i = 0; i < 100; i++) {
            DMatrixRMaj yInv = new DMatrixRMaj(d, d);
            DMatrixRMaj zInv = new DMatrixRMaj(d, d);
            CommonOps_DDRM.invert(y, yInv);
            CommonOps_DDRM.invert(z, zInv);
            DMatrixRMaj nextY = new DMatrixRMaj(d, d);
            DMatrixRMaj nextZ = new DMatrixRMaj(d, d);
            CommonOps_DDRM.add(0.5, y, 0.5, zInv, nextY);
            CommonOps_DDRM.add(0.5, z, 0.5, yInv, nextZ);
            y = nextY;
            z = nextZ;
        }
        return y;
    }

    private static double[][] diag(double[] v) {
        double[][] m = new double[v.length][v.length];
        for (int i = 0; i < v.length; i++) {
            m[i][i] = v[i];
        }
        return m;
    }

    private static double[][] randomSamples(Random random, int n, int d) {
        double[][] out = new double[n][d];
        for (double[] row : out) {
            for (int i = 0; i < d; i++) {
                row[i] = random.nextGaussian() * (1 + i) + 0.3 * i;
            }
        }
        return out;
    }

    /** A·Aᵀ + I/2 for Gaussian A: well conditioned, so the iteration converges. */
    private static double[][] randomSpd(Random random, int d) {
        double[][] a = new double[d][d];
        for (double[] row : a) {
            for (int i = 0; i < d; i++) {
                row[i] = random.nextGaussian();
            }
        }
        double[][] s = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                for (int k = 0; k < d; k++) {
                    s[i][j] += a[i][k] * a[j][k];
                }
            }
            s[i][i] += 0.5;
        }
        return s;
    }

    /** An orthogonal matrix from Gram–Schmidt on Gaussian columns. */
    private static double[][] orthogonal(Random random, int d) {
        double[][] q = new double[d][d];
        for (int c = 0; c < d; c++) {
            double[] v = new double[d];
            for (int i = 0; i < d; i++) {
                v[i] = random.nextGaussian();
            }
            for (int p = 0; p < c; p++) {
                double dot = 0;
                for (int i = 0; i < d; i++) {
                    dot += v[i] * q[i][p];
                }
                for (int i = 0; i < d; i++) {
                    v[i] -= dot * q[i][p];
                }
            }
            double norm = 0;
            for (double x : v) {
                norm += x * x;
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < d; i++) {
                q[i][c] = v[i] / norm;
            }
        }
        return q;
    }

    private static double[][] multiplyRows(double[][] x, double[][] q) {
        int d = q.length;
        double[][] out = new double[x.length][d];
        for (int s = 0; s < x.length; s++) {
            for (int j = 0; j < d; j++) {
                for (int k = 0; k < d; k++) {
                    out[s][j] += x[s][k] * q[k][j];
                }
            }
        }
        return out;
    }
}
