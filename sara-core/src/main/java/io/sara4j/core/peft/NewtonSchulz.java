package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

/**
 * The orthogonal polar factor Q = U·Vᵀ of a matrix A = U·Σ·Vᵀ by the Newton–Schulz iteration, with
 * matrix products only: no SVD, which DJL does not offer and which is the slow part of the
 * reference implementation's rank penalty.
 *
 * <p>Q is the subgradient of the nuclear norm ‖A‖_* = Σσᵢ (SaRA §3.1, eq. for L_rank) and
 * ‖A‖_* = trace(Qᵀ·A) = Σ Q ⊙ A. The iteration
 * <pre>
 *   X₀ = A / ‖A‖_F                     (every σ in (0, 1], inside the region of convergence (0, √3))
 *   X_{k+1} = 1.5·X_k − 0.5·X_k·X_kᵀ·X_k
 * </pre>
 * maps each singular value σ ↦ 1.5σ − 0.5σ³ and keeps the singular vectors, so every non-zero σ
 * goes to 1 (quadratically near 1, by a factor 1.5 per step while small) and zero σ stay zero.
 * The product is taken through the smaller Gram matrix (XᵀX for tall, XXᵀ for wide matrices).
 * Computed in float64, so that ill-conditioned inputs converge to the exact factor.
 *
 * <p>Stopping: when the step changes X by less than {@code tolerance}·‖X‖_F, or after
 * {@code maxIterations}. A direction whose singular value is below about {@code tolerance} times
 * ‖A‖_F barely moves X and is then left short of 1; for rank-deficient input the zero directions
 * stay zero. Either way the result is a valid subgradient (U_r·V_rᵀ + W with ‖W‖₂ ≤ 1 on the
 * numerically null space), the minimal one for exactly rank-deficient input. Note that a matrix
 * that is rank-deficient only in exact arithmetic (a product of thin factors rounded to float32)
 * has genuine small singular values of rounding size; they are treated like any other.
 */
public final class NewtonSchulz {
    /** Default stopping tolerance on the relative change of X per iteration. */
    public static final double DEFAULT_TOLERANCE = 1e-10;
    /** Default cap: enough for singular values down to about 1e-15·‖A‖_F. */
    public static final int DEFAULT_MAX_ITERATIONS = 100;

    private NewtonSchulz() {}

    /**
     * The result of {@link #polar}.
     *
     * @param factor Q = U·Vᵀ, float64, same shape as A; owned by A's manager, closed by the caller
     * @param nuclearNorm trace(Qᵀ·A) = Σσᵢ
     * @param iterations iterations run
     * @param converged whether the tolerance was met before the cap
     */
    public record PolarFactor(NDArray factor, double nuclearNorm, int iterations, boolean converged)
            implements AutoCloseable {
        @Override
        public void close() {
            factor.close();
        }
    }

    /** {@link #polar(NDArray, double, int)} with the default tolerance and cap. */
    public static PolarFactor polar(NDArray a) {
        return polar(a, DEFAULT_TOLERANCE, DEFAULT_MAX_ITERATIONS);
    }

    /**
     * The polar factor of the 2-D array {@code a} (any floating type).
     *
     * @throws IllegalArgumentException if {@code a} is not 2-D or has non-finite entries
     */
    public static PolarFactor polar(NDArray a, double tolerance, int maxIterations) {
        if (a.getShape().dimension() != 2) {
            throw new IllegalArgumentException("the polar factor needs a 2-D matrix, got shape " + a.getShape());
        }
        boolean tall = a.getShape().get(0) >= a.getShape().get(1);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray a64 = a.toType(DataType.FLOAT64, true);
            double frobenius = Math.sqrt(a64.square().sum().getDouble());
            if (!Double.isFinite(frobenius)) {
                throw new IllegalArgumentException("matrix of shape " + a.getShape() + " has non-finite entries");
            }
            if (frobenius == 0) {
                NDArray zero = a64.zerosLike(); // the zero matrix: its minimal subgradient is 0
                NDScope.unregister(zero);
                return new PolarFactor(zero, 0, 0, true);
            }
            NDArray x = a64.div(frobenius);
            int iterations = 0;
            boolean converged = false;
            while (iterations < maxIterations && !converged) {
                try (NDScope step = new NDScope()) {
                    step.suppressNotUsedWarning();
                    NDArray cubic = tall
                            ? x.matMul(x.transpose().matMul(x))   // X·(XᵀX), Gram (n, n)
                            : x.matMul(x.transpose()).matMul(x);  // (XXᵀ)·X, Gram (m, m)
                    NDArray next = x.mul(1.5).subi(cubic.muli(0.5));
                    double change = Math.sqrt(next.sub(x).square().sum().getDouble());
                    double size = Math.sqrt(next.square().sum().getDouble());
                    converged = change <= tolerance * size;
                    NDScope.unregister(next);
                    x.close();
                    x = next;
                }
                iterations++;
            }
            double nuclear = x.mul(a64).sum().getDouble();
            NDScope.unregister(x);
            return new PolarFactor(x, nuclear, iterations, converged);
        }
    }
}
