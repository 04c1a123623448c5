package io.sara4j.core.peft;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import java.util.Random;

/** Exact float64 references from EJML: polar factor, nuclear norm, random orthogonal matrices. */
final class Svd {
    private Svd() {}

    /** U·Vᵀ over the singular values above {@code cutoff}·σ_max (row-major), and Σσ. */
    record Polar(double[] factor, double nuclearNorm, double[] singularValues) {}

    static Polar polar(double[] a, int rows, int cols, double cutoff) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd = decompose(a, rows, cols);
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj v = svd.getV(null, false);
        double[] s = svd.getSingularValues();
        int r = svd.numberOfSingularValues();
        double max = 0;
        double sum = 0;
        for (int i = 0; i < r; i++) {
            max = Math.max(max, s[i]);
            sum += s[i];
        }
        double[] q = new double[rows * cols];
        for (int k = 0; k < r; k++) {
            if (s[k] <= cutoff * max) {
                continue;
            }
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    q[i * cols + j] += u.get(i, k) * v.get(j, k);
                }
            }
        }
        double[] sv = new double[r];
        System.arraycopy(s, 0, sv, 0, r);
        return new Polar(q, sum, sv);
    }

    /** The compact SVD of the row-major {@code a}: U (rows, r), V (cols, r), σ (r = min(rows, cols)). */
    static SingularValueDecomposition_F64<DMatrixRMaj> decompose(double[] a, int rows, int cols) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(rows, cols, true, true, true);
        if (!svd.decompose(new DMatrixRMaj(rows, cols, true, a))) {
            throw new AssertionError("EJML SVD failed");
        }
        return svd;
    }

    /** A random n×n orthogonal matrix (Q of a Gaussian matrix), row-major. */
    static DMatrixRMaj orthogonal(Random random, int n) {
        DMatrixRMaj g = new DMatrixRMaj(n, n);
        for (int i = 0; i < n * n; i++) {
            g.data[i] = random.nextGaussian();
        }
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(n, n);
        qr.decompose(g);
        return qr.getQ(null, false);
    }

    /** U·diag(s)·Vᵀ for random orthogonal U (rows×rows) and V (cols×cols), row-major. */
    static double[] withSingularValues(Random random, int rows, int cols, double[] s) {
        DMatrixRMaj u = orthogonal(random, rows);
        DMatrixRMaj v = orthogonal(random, cols);
        DMatrixRMaj d = new DMatrixRMaj(rows, cols);
        for (int i = 0; i < s.length; i++) {
            d.set(i, i, s[i]);
        }
        DMatrixRMaj ud = new DMatrixRMaj(rows, cols);
        CommonOps_DDRM.mult(u, d, ud);
        DMatrixRMaj out = new DMatrixRMaj(rows, cols);
        CommonOps_DDRM.multTransB(ud, v, out);
        return out.data;
    }
}
