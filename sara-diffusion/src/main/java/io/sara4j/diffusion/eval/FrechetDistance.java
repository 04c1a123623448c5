package io.sara4j.diffusion.eval;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The Fréchet distance between two Gaussians fitted to feature sets, the quantity FID reports
 * (Heusel et al. 2017, eq. 6; also the squared 2-Wasserstein distance of the two Gaussians):
 * <pre>
 * d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2·(Σ₁Σ₂)^½)
 * </pre>
 *
 * <p><b>The square root, exactly and symmetrically.</b> Σ₁Σ₂ is not symmetric, and FID's reference
 * code takes a general matrix square root of it (scipy's {@code sqrtm}), which can return small
 * imaginary parts. Only the trace is needed, and Σ₁Σ₂ is similar to the symmetric positive
 * semi-definite M = Σ₁^½ Σ₂ Σ₁^½ (Σ₁Σ₂ = Σ₁^½ M Σ₁^−½ when Σ₁ is invertible, and by continuity
 * otherwise), so both have the same non-negative eigenvalues λᵢ and Tr((Σ₁Σ₂)^½) = Σᵢ √λᵢ.
 * Computed here in float64 with two symmetric eigen-decompositions (EJML): Σ₁^½ = V·diag(√σ)·Vᵀ,
 * then the eigenvalues of M (symmetrised against round-off). Eigenvalues below zero, which only
 * round-off produces for covariance matrices, are clamped to zero.
 *
 * <p>Covariances are the unbiased sample covariances (divisor n − 1), as numpy's {@code cov} in FID.
 * Like FID, the value is biased upwards for small samples and depends on the sample size: compare
 * only distances computed from equally many images.
 */
public final class FrechetDistance {
    private FrechetDistance() {}

    /**
     * A Gaussian in D dimensions.
     *
     * @param mean μ, length D
     * @param covariance Σ, D × D, symmetric positive semi-definite (rows)
     */
    public record Gaussian(double[] mean, double[][] covariance) {
        /** Checks the dimensions and copies the arrays. */
        public Gaussian {
            int d = mean.length;
            if (d == 0 || covariance.length != d) {
                throw new IllegalArgumentException("covariance must be " + d + " × " + d + " for a mean of length " + d
                        + ", found " + covariance.length + " rows");
            }
            mean = mean.clone();
            double[][] copy = new double[d][];
            for (int i = 0; i < d; i++) {
                if (covariance[i].length != d) {
                    throw new IllegalArgumentException("covariance row " + i + " has " + covariance[i].length
                            + " entries, expected " + d);
                }
                copy[i] = covariance[i].clone();
            }
            covariance = copy;
        }

        /**
         * The sample mean and unbiased sample covariance of {@code samples} (n rows of D features),
         * accumulated in float64 around the mean.
         *
         * @throws IllegalArgumentException for fewer than two samples or ragged rows
         */
        public static Gaussian fit(double[][] samples) {
            int n = samples.length;
            if (n < 2) {
                throw new IllegalArgumentException("a covariance needs at least 2 samples, found " + n);
            }
            int d = samples[0].length;
            double[] mean = new double[d];
            for (int s = 0; s < n; s++) {
                if (samples[s].length != d) {
                    throw new IllegalArgumentException("sample " + s + " has " + samples[s].length + " features, expected " + d);
                }
                for (int i = 0; i < d; i++) {
                    mean[i] += samples[s][i];
                }
            }
            for (int i = 0; i < d; i++) {
                mean[i] /= n;
            }
            double[][] cov = new double[d][d];
            double[] centred = new double[d];
            for (double[] sample : samples) {
                for (int i = 0; i < d; i++) {
                    centred[i] = sample[i] - mean[i];
                }
                for (int i = 0; i < d; i++) {
                    for (int j = i; j < d; j++) {
                        cov[i][j] += centred[i] * centred[j];
                    }
                }
            }
            for (int i = 0; i < d; i++) {
                for (int j = i; j < d; j++) {
                    cov[i][j] /= n - 1;
                    cov[j][i] = cov[i][j];
                }
            }
            return new Gaussian(mean, cov);
        }

        /** Dimension D. */
        public int dim() {
            return mean.length;
        }
    }

    /** The distance between Gaussians fitted to two feature sets (rows = samples). */
    public static double between(double[][] a, double[][] b) {
        return between(Gaussian.fit(a), Gaussian.fit(b));
    }

    /** ‖μ₁ − μ₂‖² + Tr(Σ₁) + Tr(Σ₂) − 2·Tr((Σ₁Σ₂)^½), never below zero. */
    public static double between(Gaussian a, Gaussian b) {
        if (a.dim() != b.dim()) {
            throw new IllegalArgumentException("the Gaussians have dimensions " + a.dim() + " and " + b.dim());
        }
        double meanTerm = 0;
        for (int i = 0; i < a.dim(); i++) {
            double diff = a.mean()[i] - b.mean()[i];
            meanTerm += diff * diff;
        }
        DMatrixRMaj s1 = new DMatrixRMaj(a.covariance());
        DMatrixRMaj s2 = new DMatrixRMaj(b.covariance());
        double d2 = meanTerm + CommonOps_DDRM.trace(s1) + CommonOps_DDRM.trace(s2) - 2 * traceSqrtProduct(s1, s2);
        return Math.max(0, d2);
    }

    /** Tr((Σ₁Σ₂)^½) as Σ √λᵢ(Σ₁^½ Σ₂ Σ₁^½). */
    static double traceSqrtProduct(DMatrixRMaj s1, DMatrixRMaj s2) {
        DMatrixRMaj root = symmetricSqrt(s1);
        DMatrixRMaj tmp = new DMatrixRMaj(root.numRows, s2.numCols);
        CommonOps_DDRM.mult(root, s2, tmp);
        DMatrixRMaj m = new DMatrixRMaj(root.numRows, root.numCols);
        CommonOps_DDRM.mult(tmp, root, m);
        double sum = 0;
        for (double lambda : symmetricEigenvalues(m)) {
            sum += Math.sqrt(Math.max(0, lambda));
        }
        return sum;
    }

    /** S^½ = V·diag(√max(σ, 0))·Vᵀ of a symmetric positive semi-definite S. */
    static DMatrixRMaj symmetricSqrt(DMatrixRMaj s) {
        int d = s.numRows;
        EigenDecomposition_F64<DMatrixRMaj> eig = decompose(s);
        DMatrixRMaj out = new DMatrixRMaj(d, d);
        for (int k = 0; k < d; k++) {
            double root = Math.sqrt(Math.max(0, eig.getEigenvalue(k).getReal()));
            DMatrixRMaj v = eig.getEigenVector(k);
            for (int i = 0; i < d; i++) {
                double vi = v.get(i, 0) * root;
                for (int j = 0; j < d; j++) {
                    out.add(i, j, vi * v.get(j, 0));
                }
            }
        }
        return out;
    }

    private static double[] symmetricEigenvalues(DMatrixRMaj s) {
        EigenDecomposition_F64<DMatrixRMaj> eig = decompose(s);
        double[] values = new double[s.numRows];
        for (int k = 0; k < values.length; k++) {
            values[k] = eig.getEigenvalue(k).getReal();
        }
        return values;
    }

    /** The symmetric eigen-decomposition of (S + Sᵀ)/2; S itself is left unchanged. */
    private static EigenDecomposition_F64<DMatrixRMaj> decompose(DMatrixRMaj s) {
        int d = s.numRows;
        DMatrixRMaj sym = new DMatrixRMaj(d, d);
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                sym.set(i, j, 0.5 * (s.get(i, j) + s.get(j, i)));
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
        if (!eig.decompose(sym)) {
            throw new IllegalStateException("symmetric eigen-decomposition of a " + d + " × " + d + " matrix did not converge");
        }
        return eig;
    }
}
