package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.nn.Scalars;

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
 * <p><b>Fast mode</b> ({@link #fastPolar}), what {@link NuclearNormPenalty} uses: the same kind of
 * iteration with odd quintic polynomials X ↦ X·(a + b·XᵀX + c·(XᵀX)²) in float32, about 12 steps
 * instead of 30–40 in float64. Three changes make it fast:
 * <ol>
 *   <li>Scaling by the Schatten-8 norm ‖X‖_S8 = (Σσ⁸)^{1/8} = ‖(XᵀX)²‖_F^{1/4} ≥ σ_max instead of
 *       ‖X‖_F: still a guaranteed upper bound of σ_max, but only ~1.7× above it for SaRA's random
 *       sparse matrices where ‖X‖_F is √n/2 ≈ 18× above it at 1280², so small σ start 10× higher.
 *       It costs nothing: XᵀX and (XᵀX)² are the first step's products anyway.</li>
 *   <li>Seven steps of the Polar Express schedule (Amsel, Persson, Musco &amp; Musco, "The Polar
 *       Express", 2025; coefficients designed for σ ∈ [10⁻³, 1] with their 1.01 safety factor), which
 *       grow small σ by 8.2, 4.1, 3.9 … per step and map [10⁻³, 1] into [1 − 10⁻⁵, 1]; then two steps
 *       of the Muon optimizer's quintic (a, b, c) = (3.4445, −4.7750, 2.0315), slope 3.44 at 0, for the
 *       tail; then the classic quintic Newton–Schulz step (15, −10, 3)/8, which converges to 1
 *       cubically.</li>
 *   <li>Stopping at {@link #FAST_TOLERANCE} (10⁻³) relative change instead of 10⁻¹⁰.</li>
 * </ol>
 * <b>Accuracy of the fast mode</b> (with σ relative to ‖A‖_S8, which lies in [σ_max, r^{1/8}·σ_max]):
 * Q = U·diag(f(σᵢ))·Vᵀ with f(σ) within {@link #FAST_ACCURACY} (10⁻³, float32 rounding included) of 1
 * for every σ ≥ {@link #FAST_RESOLUTION} (2·10⁻⁵), and 0 ≤ f(σ) ≤ 1 + 10⁻³ below it, f(0) = 0: directions
 * under the resolution count as numerically null and are scaled down smoothly, as the exact mode does
 * below its tolerance. The gradient error ‖Q − U·Vᵀ‖_F / ‖U·Vᵀ‖_F is therefore at most
 * 10⁻³ plus √(fraction of σ below the resolution); for SaRA's P ⊙ M (a random sparse matrix whose
 * spectrum has density ~1.3·t below t·σ_max) it measures ≤ 10⁻⁴ at 1280² (docs/benchmarks.md).
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

    /** Fast mode: stop once a polishing step changes X by at most this fraction of ‖X‖_F. */
    public static final double FAST_TOLERANCE = 1e-3;
    /** Fast mode: singular values at least this fraction of ‖A‖_S8 are brought within {@link #FAST_ACCURACY} of 1. */
    public static final double FAST_RESOLUTION = 2e-5;
    /** Fast mode: how close to 1 the singular values above the resolution end up. */
    public static final double FAST_ACCURACY = 1e-3;
    /** Fast mode: cap on the polishing steps after the fixed schedule (it needs one or two). */
    static final int FAST_MAX_POLISHING_STEPS = 10;

    /**
     * The fast mode's fixed schedule, one (a, b, c) per step of X ↦ a·X + b·X·XᵀX + c·X·(XᵀX)²:
     * Polar Express's seven steps for [10⁻³, 1] (each divided by 1.01, 1.01³, 1.01⁵, their safety
     * factor against rounding above 1), Muon's quintic twice, the classic quintic twice.
     */
    static final double[][] FAST_SCHEDULE = {
        {8.28721201814563 / 1.01, -23.595886519098837 / 1.0303010, 17.300387312530933 / 1.0510100501},
        {4.107059111542203 / 1.01, -2.9478499167379106 / 1.0303010, 0.5448431082926601 / 1.0510100501},
        {3.9486908534822946 / 1.01, -2.908902115962949 / 1.0303010, 0.5518191394370137 / 1.0510100501},
        {3.3184196573706015 / 1.01, -2.488488024314874 / 1.0303010, 0.51004894012372 / 1.0510100501},
        {2.300652019954817 / 1.01, -1.6689039845747493 / 1.0303010, 0.4188073119525673 / 1.0510100501},
        {1.891301407787398 / 1.01, -1.2679958271945868 / 1.0303010, 0.37680408948524835 / 1.0510100501},
        {1.8750014808534479 / 1.01, -1.2500016453999487 / 1.0303010, 0.3750001645474248 / 1.0510100501},
        {3.4445, -4.7750, 2.0315},
        {3.4445, -4.7750, 2.0315},
        {1.875, -1.25, 0.375},
        {1.875, -1.25, 0.375},
    };
    /** The polishing step: classic quintic Newton–Schulz, f(1) = 1, f'(1) = f''(1) = 0. */
    static final double[] POLISH = {1.875, -1.25, 0.375};

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
        boolean tall = isTall(a);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray a64 = a.toType(DataType.FLOAT64, true);
            double frobenius = frobenius(a64);
            if (frobenius == 0) {
                return zeroFactor(a64);
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
                    converged = frobenius(next.sub(x)) <= tolerance * frobenius(next);
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

    /**
     * The polar factor of the 2-D array {@code a} in the fast mode (see the class comment for its
     * accuracy). The factor is float32; the nuclear norm is trace(Qᵀ·A) summed in float64.
     *
     * @throws IllegalArgumentException if {@code a} is not 2-D or has non-finite entries
     */
    public static PolarFactor fastPolar(NDArray a) {
        boolean tall = isTall(a);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray a32 = a.toType(DataType.FLOAT32, true);
            double frobenius = frobenius(a32);
            if (frobenius == 0) {
                return zeroFactor(a32);
            }
            NDArray x = Scalars.div(a32, frobenius); // entries O(1/√(mn)): no float32 under- or overflow
            NDArray gram = gram(x, tall);
            NDArray gramSquared = gram.matMul(gram);
            // ‖X‖_S8 = ‖G²‖_F^{1/4} ≥ σ_max; dividing X by s divides G by s² and G² by s⁴, so the first
            // step reuses these products
            double s8 = Math.pow(frobenius(gramSquared), 0.25);
            x = Scalars.div(x, s8);
            gram = Scalars.div(gram, s8 * s8);
            gramSquared = Scalars.div(gramSquared, s8 * s8 * s8 * s8);
            int iterations = 0;
            boolean converged = false;
            while (!converged && iterations < FAST_SCHEDULE.length + FAST_MAX_POLISHING_STEPS) {
                boolean polishing = iterations >= FAST_SCHEDULE.length;
                try (NDScope step = new NDScope()) {
                    step.suppressNotUsedWarning();
                    if (gram == null) {
                        gram = gram(x, tall);
                        gramSquared = gram.matMul(gram);
                    }
                    double[] c = polishing ? POLISH : FAST_SCHEDULE[iterations];
                    NDArray poly = Scalars.mul(gram, c[1]).addi(Scalars.mul(gramSquared, c[2]));
                    NDArray next = Scalars.mul(x, c[0]).addi(tall ? x.matMul(poly) : poly.matMul(x));
                    if (polishing) {
                        converged = frobenius(next.sub(x)) <= FAST_TOLERANCE * frobenius(next);
                    }
                    NDScope.unregister(next);
                    x.close();
                    gram.close();
                    gramSquared.close();
                    x = next;
                    gram = null; // X changed: the next step needs its own Gram products
                    gramSquared = null;
                }
                iterations++;
            }
            NDArray q = x;
            double nuclear = q.mul(a32).toType(DataType.FLOAT64, false).sum().getDouble();
            NDScope.unregister(q);
            return new PolarFactor(q, nuclear, iterations, converged);
        }
    }

    /**
     * Whether {@code a} is a tall (or square) matrix.
     *
     * @throws IllegalArgumentException if {@code a} is not 2-D
     */
    private static boolean isTall(NDArray a) {
        if (a.getShape().dimension() != 2) {
            throw new IllegalArgumentException("the polar factor needs a 2-D matrix, got shape " + a.getShape());
        }
        return a.getShape().get(0) >= a.getShape().get(1);
    }

    /**
     * ‖x‖_F, summed in float64.
     *
     * @throws IllegalArgumentException if x has non-finite entries
     */
    private static double frobenius(NDArray x) {
        double norm = Math.sqrt(x.toType(DataType.FLOAT64, false).square().sum().getDouble());
        if (!Double.isFinite(norm)) {
            throw new IllegalArgumentException("matrix of shape " + x.getShape() + " has non-finite entries");
        }
        return norm;
    }

    /** The zero matrix's factor: its minimal subgradient is 0. Taken out of the caller's scope. */
    private static PolarFactor zeroFactor(NDArray like) {
        NDArray zero = like.zerosLike();
        NDScope.unregister(zero);
        return new PolarFactor(zero, 0, 0, true);
    }

    /** The smaller Gram matrix: XᵀX (n, n) for tall X (m, n), XXᵀ (m, m) for wide. */
    private static NDArray gram(NDArray x, boolean tall) {
        return tall ? x.transpose().matMul(x) : x.matMul(x.transpose());
    }
}
