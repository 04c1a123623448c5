package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * SaRA's low-rank constraint (paper §3.1, L_rank = ‖P_M‖_*): λ·‖M ⊙ P‖_* on eligible weights,
 * whose subgradient λ·(U·Vᵀ) restricted to M is added to the gradient of the trainable vector v.
 *
 * <p><b>Why the gradient is added by hand.</b> The penalty depends on the trainable entries only,
 * so d/dv λ‖M ⊙ P‖_* = λ·(U·Vᵀ)[M]: gathering the polar factor at the active positions and adding
 * it to v's gradient after the data loss's backward is exact, needs no autograd through an SVD,
 * and cannot land on the frozen weight (the reference implementation's defect: with its
 * memory-saving optimizer the rank gradient reached the original parameters, which are never
 * updated, so λ had no effect). U·Vᵀ comes from {@link NewtonSchulz#fastPolar} (float32, every
 * singular value above 2·10⁻⁵·‖P‖_S8 within 10⁻³ of 1: an error far below the noise of the data
 * loss's gradient at the paper's λ = 5·10⁻⁴).
 *
 * <p>Eligible: 2-D weights with min(rows, cols) &gt; {@code minDim} (64 in the reference), and,
 * when {@code includeConv}, 4-D conv weights viewed as (out, in·k·k). After progressive
 * re-selection M is the active set. Per step the penalty covers one eligible tensor drawn at random
 * (the reference behaviour) or all of them. The draw for step t comes from a generator seeded with
 * (seed, t) ({@link StepRandom}), so it depends on the step number only and a resumed run draws the
 * same layers as an uninterrupted one.
 */
public final class NuclearNormPenalty {
    /** What the nuclear norm is taken of. */
    public enum Target {
        /** ‖M ⊙ P‖_*: the trainable values themselves (the paper). */
        VALUES,
        /** ‖M ⊙ ΔP‖_*: their change from the pretrained values, so the update itself is low-rank. */
        DELTA
    }

    private final double lambda;
    private final Target target;
    private final boolean allLayers;
    private final List<SparseAdaptation> eligible;
    private final long seed;

    NuclearNormPenalty(double lambda, Target target, boolean allLayers, boolean includeConv, int minDim,
            long seed, List<SparseAdaptation> tensors) {
        this.lambda = lambda;
        this.target = target;
        this.allLayers = allLayers;
        this.seed = seed;
        this.eligible = new ArrayList<>();
        for (SparseAdaptation t : tensors) {
            if (isEligible(t.shape(), includeConv, minDim)) {
                eligible.add(t);
            }
        }
    }

    /** Whether a tensor of {@code shape} gets the penalty. */
    static boolean isEligible(Shape shape, boolean includeConv, int minDim) {
        if (shape.dimension() == 2 || (includeConv && shape.dimension() == 4)) {
            Shape m = matrixShape(shape);
            return Math.min(m.get(0), m.get(1)) > minDim;
        }
        return false;
    }

    /** The matrix view: (rows, cols) as is, conv (out, in, k, k) as (out, in·k·k). */
    static Shape matrixShape(Shape shape) {
        return new Shape(shape.get(0), shape.size() / shape.get(0));
    }

    /** The tensors that can be penalized. */
    List<SparseAdaptation> eligible() {
        return eligible;
    }

    /** The tensors penalized at the 0-based {@code step}: all eligible ones, or the one drawn for that step. */
    List<SparseAdaptation> chosen(long step) {
        if (allLayers || eligible.isEmpty()) {
            return eligible;
        }
        return List.of(eligible.get(StepRandom.of(seed, StepRandom.RANK_PENALTY_LAYER, step).nextInt(eligible.size())));
    }

    /**
     * Adds λ·(U·Vᵀ)[active] to the gradient of each tensor penalized at {@code step}. Run inside an
     * NDScope.
     *
     * @param gradients the gradient of each tensor's v, updated in place
     * @param step the 0-based number of the step being taken (the completed steps before it)
     * @return the penalty value λ·Σ‖X‖_* over the penalized tensors
     */
    double addGradients(Map<SparseAdaptation, NDArray> gradients, long step) {
        if (eligible.isEmpty() || lambda == 0) {
            return 0;
        }
        List<SparseAdaptation> chosen = chosen(step);
        double penalty = 0;
        for (SparseAdaptation t : chosen) {
            if (t.activeCount() == 0) {
                continue;
            }
            NDArray matrix = sparseMatrix(t);
            try (NewtonSchulz.PolarFactor polar = NewtonSchulz.fastPolar(matrix)) {
                penalty += lambda * polar.nuclearNorm();
                NDArray atMask = polar.factor().reshape(-1).get(new NDIndex("{}", t.active()));
                NDArray gradient = gradients.get(t);
                gradient.addi(atMask.muli(lambda).toType(gradient.getDataType(), false));
            }
        }
        return penalty;
    }

    /**
     * The dense matrix that is zero off the active set and holds v (or v − P0) on it, float32.
     * It is what the nuclear norm is taken of: the penalized tensor has only its trainable entries.
     */
    NDArray sparseMatrix(SparseAdaptation t) {
        NDArray v = t.values().stopGradient();
        NDArray entries = target == Target.VALUES ? v : v.sub(t.activeOriginals());
        NDArray flat = v.getManager().zeros(new Shape(t.shape().size()), v.getDataType());
        flat.set(new NDIndex("{}", t.active()), entries);
        return flat.reshape(matrixShape(t.shape()));
    }
}
