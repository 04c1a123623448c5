package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov &amp; Hutter 2019; the optimizer of SaRA §5.1) over a set of leaf arrays, with
 * bias correction and decoupled weight decay, in PyTorch's formulation:
 * <pre>
 *   p ← p·(1 − η·wd)
 *   m ← β1·m + (1 − β1)·g          s ← β2·s + (1 − β2)·g²
 *   p ← p − (η / (1 − β1^t)) · m / (√s / √(1 − β2^t) + ε)
 * </pre>
 * For SaRA the leaves are the trainable vectors v, so the optimizer keeps two moments per
 * trainable value and nothing for the frozen weights: the sparse optimizer of §3.2. The same class
 * serves the dense baselines (full fine-tuning, LoRA) and, with a mask, the masked-dense one.
 *
 * <p>Moments are created at registration (zeros), so the memory they take is visible from the start.
 * Updates run in place on detached views of the leaves.
 */
final class AdamW implements AutoCloseable {
    /** One array to update with its gradient; {@code mask} (1 where trainable, 0 elsewhere) or null. */
    record Leaf(NDArray parameter, NDArray gradient, NDArray mask) {}

    private record Moments(NDArray first, NDArray second) {}

    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager state;
    private final Map<NDArray, Moments> moments = new IdentityHashMap<>();
    private long t;

    AdamW(OptimizerConfig config, NDManager stateParent) {
        this.beta1 = config.beta1();
        this.beta2 = config.beta2();
        this.eps = config.eps();
        this.weightDecay = config.weightDecay();
        this.state = stateParent.newSubManager();
    }

    /** Starts tracking {@code parameter} with zero moments. */
    void register(NDArray parameter) {
        NDArray m = state.zeros(parameter.getShape(), parameter.getDataType());
        NDArray s = state.zeros(parameter.getShape(), parameter.getDataType());
        NDScope.unregister(m, s);
        moments.put(parameter, new Moments(m, s));
    }

    /**
     * Replaces {@code old} by {@code fresh}, keeping the moments of the entries at {@code keep}
     * (int64 offsets into {@code old}) so that surviving entries continue their Adam state.
     */
    void carryOver(NDArray old, NDArray fresh, NDArray keep) {
        Moments before = moments.remove(old);
        NDArray m;
        NDArray s;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            m = before.first().get(new NDIndex("{}", keep));
            s = before.second().get(new NDIndex("{}", keep));
            NDScope.unregister(m, s);
        }
        m.attach(state);
        s.attach(state);
        before.first().close();
        before.second().close();
        moments.put(fresh, new Moments(m, s));
    }

    /** Stops tracking {@code parameter} and frees its moments. */
    void unregister(NDArray parameter) {
        Moments gone = moments.remove(parameter);
        if (gone != null) {
            gone.first().close();
            gone.second().close();
        }
    }

    /** The first and second moment of a registered leaf (for tests and inspection). */
    NDArray[] moments(NDArray parameter) {
        Moments m = moments.get(parameter);
        return m == null ? null : new NDArray[] {m.first(), m.second()};
    }

    /** Number of updates done so far (t of the bias correction). */
    long updates() {
        return t;
    }

    /**
     * Overwrites the moments of the registered {@code parameter} with copies of {@code first} and
     * {@code second} (same shape), when resuming a run.
     */
    void setMoments(NDArray parameter, NDArray first, NDArray second) {
        Moments mo = moments.get(parameter);
        if (mo == null) {
            throw new IllegalStateException("leaf of shape " + parameter.getShape() + " was never registered");
        }
        mo.first().set(new NDIndex("..."), first);
        mo.second().set(new NDIndex("..."), second);
    }

    /** Continues the bias correction from {@code updates} completed updates (when resuming a run). */
    void restoreUpdates(long updates) {
        t = updates;
    }

    /**
     * One update of every leaf at learning rate {@code lr}. Run inside an {@link NDScope}: the
     * temporaries it creates are left to that scope.
     */
    void update(List<Leaf> leaves, double lr) {
        t++;
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2Root = Math.sqrt(1 - Math.pow(beta2, t));
        float decay = (float) (1 - lr * weightDecay);
        float stepSize = (float) (lr / bc1);
        for (Leaf leaf : leaves) {
            Moments mo = moments.get(leaf.parameter());
            if (mo == null) {
                throw new IllegalStateException("leaf of shape " + leaf.parameter().getShape() + " was never registered");
            }
            NDArray g = leaf.gradient();
            mo.first().muli(beta1).addi(g.mul(1 - beta1));
            mo.second().muli(beta2).addi(g.square().muli(1 - beta2));
            NDArray denominator = mo.second().sqrt().divi(bc2Root).addi(eps);
            NDArray step = mo.first().div(denominator).muli(stepSize);
            NDArray p = leaf.parameter().stopGradient(); // in-place updates of a leaf go through a detached view
            if (leaf.mask() == null) {
                p.muli(decay).subi(step);
            } else {
                // masked-dense tuning: decay and step only where the mask is 1
                p.subi(p.mul(1 - decay).addi(step).muli(leaf.mask()));
            }
        }
    }

    /** Bytes of the two moments of every leaf. */
    long stateBytes() {
        long bytes = 0;
        for (Moments m : moments.values()) {
            bytes += SparseAdaptation.bytes(m.first()) + SparseAdaptation.bytes(m.second());
        }
        return bytes;
    }

    @Override
    public void close() {
        moments.clear();
        state.close();
    }

    /**
     * Scales the gradients in place so that their global L2 norm is at most {@code maxNorm}
     * (PyTorch's clip_grad_norm_: factor maxNorm/(norm + 1e-6) when that is below 1).
     *
     * @return the norm before clipping
     */
    static double clipGlobalNorm(List<NDArray> gradients, double maxNorm) {
        double sumSquares = 0;
        for (NDArray g : gradients) {
            try (NDArray sq = g.square(); NDArray sum = sq.sum()) {
                sumSquares += sum.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
            }
        }
        double norm = Math.sqrt(sumSquares);
        if (maxNorm > 0) {
            double factor = maxNorm / (norm + 1e-6);
            if (factor < 1) {
                for (NDArray g : gradients) {
                    g.muli(factor);
                }
            }
        }
        return norm;
    }
}
