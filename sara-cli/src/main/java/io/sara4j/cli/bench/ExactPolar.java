package io.sara4j.cli.bench;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * The exact subgradient of the nuclear norm by SVD (EJML, float64): U·Vᵀ over the singular values
 * above the numerical rank cutoff σ_max·max(m, n)·ε (the rule of LAPACK's and numpy's matrix_rank),
 * and ‖A‖_* = Σσ. What Newton–Schulz replaces, and the reference it is measured against.
 *
 * @param factor U·Vᵀ, row-major, same shape as A
 * @param nuclearNorm Σσᵢ
 */
public record ExactPolar(double[] factor, double nuclearNorm) {

    /**
     * The polar factor of the row-major {@code rows}×{@code cols} matrix {@code a}.
     *
     * @throws IllegalStateException if EJML's SVD does not converge
     */
    public static ExactPolar of(double[] a, int rows, int cols) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(rows, cols, true, true, true);
        if (!svd.decompose(new DMatrixRMaj(rows, cols, true, a))) {
            throw new IllegalStateException("EJML SVD did not converge on a " + rows + "x" + cols + " matrix");
        }
        DMatrixRMaj u = svd.getU(null, false); // (rows, r)
        DMatrixRMaj v = svd.getV(null, false); // (cols, r)
        double[] s = svd.getSingularValues();
        int r = svd.numberOfSingularValues();
        double max = 0;
        double sum = 0;
        for (int k = 0; k < r; k++) {
            max = Math.max(max, s[k]);
            sum += s[k];
        }
        double cutoff = max * Math.max(rows, cols) * Math.ulp(1.0);
        for (int k = 0; k < r; k++) {
            if (s[k] <= cutoff) { // numerically null: not part of U·Vᵀ
                for (int i = 0; i < rows; i++) {
                    u.set(i, k, 0);
                }
            }
        }
        DMatrixRMaj q = new DMatrixRMaj(rows, cols);
        CommonOps_DDRM.multTransB(u, v, q);
        return new ExactPolar(q.data, sum);
    }
}
