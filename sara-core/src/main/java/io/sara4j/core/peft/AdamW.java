package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.nn.Autograd;
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
        // The fused kernel takes its coefficients as float and forms 1 − β from the rounded β, so it
        // runs Adam with β = (float) β exactly; the bias corrections must use that same β or they no
        // longer match the moments (for β2 = 0.999 the float's 1 − β2 is 1.3e-5 smaller).
        this.beta1 = (float) config.beta1();
        this.beta2 = (float) config.beta2();
        this.eps = config.eps();
        this.weightDecay = config.weightDecay();
        this.state = stateParent.newSubManager();
    }

    /**
     * Starts tracking {@code parameter} (which requires a gradient) with zero moments and a zero
     * gradient buffer, allocated here with the rest of the training state
     * ({@link Autograd#allocateGradient}).
     */
    void register(NDArray parameter) {
        Autograd.allocateGradient(parameter);
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
        Autograd.allocateGradient(fresh);
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
     * One update of every leaf at learning rate {@code lr}, with every gradient scaled by
     * {@code gradScale} first (the clipping factor of {@link #clipFactor}), and the leaves' gradient
     * buffers zeroed afterwards.
     *
     * <p>Each leaf is one call of the engine's fused Adam kernel, whose temporaries are freed inside
     * that call: a per-op chain here would cost about ten engine calls per leaf (hundreds of leaves
     * per step) and keep four leaf-sized temporaries of every leaf alive until the step's scope
     * closes, which for full fine-tuning was more memory than the moments themselves. The kernel
     * computes {@code p ← p − m·a / (√s + ε')}; PyTorch's bias correction is folded into
     * {@code a = η·√(1 − β2^t) / (1 − β1^t)} and {@code ε' = ε·√(1 − β2^t)}, which is the same
     * update as dividing √s by √(1 − β2^t) before adding ε.
     */
    void update(List<Leaf> leaves, double lr, double gradScale) {
        t++;
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2Root = Math.sqrt(1 - Math.pow(beta2, t));
        float stepSize = (float) (lr * bc2Root / bc1);
        float epsScaled = (float) (eps * bc2Root);
        for (Leaf leaf : leaves) {
            Moments mo = moments.get(leaf.parameter());
            if (mo == null) {
                throw new IllegalStateException("leaf of shape " + leaf.parameter().getShape() + " was never registered");
            }
            NDArray p = leaf.parameter();
            // masked-dense tuning decays only where the mask is 1; its masked gradient already keeps
            // the moments, and so the step, at zero elsewhere
            boolean decoupledDecay = weightDecay != 0 && leaf.mask() == null;
            if (weightDecay != 0 && leaf.mask() != null) {
                try (NDArray view = p.stopGradient(); NDArray decay = view.mul(lr * weightDecay)) {
                    view.subi(decay.muli(leaf.mask()));
                }
            }
            p.getNDArrayInternal().adamUpdate(new NDList(p, leaf.gradient(), mo.first(), mo.second()), new NDList(p),
                    (float) lr, stepSize, decoupledDecay ? (float) weightDecay : 0f, (float) gradScale, -1f,
                    (float) beta1, (float) beta2, epsScaled, false, decoupledDecay);
        }
    }

    /** Bytes of the two moments and the gradient buffer of every leaf. */
    long stateBytes() {
        long bytes = 0;
        for (Map.Entry<NDArray, Moments> e : moments.entrySet()) {
            Moments m = e.getValue();
            bytes += SparseAdaptation.bytes(m.first()) + SparseAdaptation.bytes(m.second());
            if (Autograd.hasGradientBuffer(e.getKey())) {
                bytes += SparseAdaptation.bytes(e.getKey());
            }
        }
        return bytes;
    }

    @Override
    public void close() {
        moments.clear();
        state.close();
    }

    /**
     * The global L2 norm of {@code gradients} taken together, as PyTorch's {@code clip_grad_norm_}
     * forms it: the norm of the per-tensor norms (one engine call per tensor, one read at the end).
     */
    static double globalNorm(List<NDArray> gradients) {
        if (gradients.isEmpty()) {
            return 0;
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDList norms = new NDList(gradients.size());
            for (NDArray g : gradients) {
                norms.add(g.norm());
            }
            return NDArrays.stack(norms).toType(DataType.FLOAT64, false).norm().getDouble();
        }
    }

    /**
     * The factor PyTorch's {@code clip_grad_norm_} scales gradients of global norm {@code norm} by:
     * {@code maxNorm / (norm + 1e-6)} when that is below 1, else 1 (also when clipping is off,
     * {@code maxNorm <= 0}).
     */
    static double clipFactor(double norm, double maxNorm) {
        double factor = maxNorm / (norm + 1e-6);
        return maxNorm > 0 && factor < 1 ? factor : 1;
    }
}
