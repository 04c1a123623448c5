package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;

/**
 * The step every method shares, in order: read the loss, backward, the method's gradients (and
 * regularizer), global-norm clipping, the AdamW update at the scheduled rate, the method's
 * after-update work (write back, zero gradients), then events due at the new step count. Each step
 * runs in its own {@link NDScope}, so every temporary it creates is closed when it returns; state
 * that must outlive the step is created under the tuner's own manager and unregistered.
 */
abstract class AdamWTuner implements FineTuner {
    protected final NDManager state;
    protected final AdamW optimizer;
    protected final LearningRateSchedule schedule;
    private final double maxGradNorm;
    private long steps;
    private boolean merged;
    private boolean closed;

    /**
     * @param state owns every array the tuner keeps; closed by {@link #close()}
     */
    AdamWTuner(NDManager state, OptimizerConfig config, LearningRateSchedule schedule) {
        this.state = state;
        this.optimizer = new AdamW(config, state);
        this.schedule = schedule;
        this.maxGradNorm = config.maxGradNorm();
    }

    /** The leaves to update with their gradients from the backward just run (null gradients skipped). */
    protected abstract List<AdamW.Leaf> collectGradients();

    /** Adds regularizer gradients to {@code leaves}' gradients; returns the regularizer's value. */
    protected double addRegularizer(List<AdamW.Leaf> leaves) {
        return 0;
    }

    /** Work after the update: write values back, zero gradients, drop per-step caches. */
    protected abstract void afterUpdate();

    /** Events due once {@code completedSteps} steps are done (SaRA's re-selection). */
    protected void afterStep(long completedSteps) {}

    @Override
    public final StepReport step(NDArray loss) {
        requireTrainable();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            double lossValue;
            try (NDArray l = loss.stopGradient(); NDArray wide = l.toType(DataType.FLOAT64, false)) {
                lossValue = wide.getDouble();
            }
            if (!Double.isFinite(lossValue)) {
                throw new IllegalStateException("loss is " + lossValue + " at step " + (steps + 1)
                        + ": training diverged (lower the learning rate or enable gradient clipping)");
            }
            Autograd.backward(loss);
            List<AdamW.Leaf> leaves = collectGradients();
            double penalty = addRegularizer(leaves);
            List<NDArray> gradients = new ArrayList<>(leaves.size());
            leaves.forEach(l -> gradients.add(l.gradient()));
            double gradNorm = AdamW.clipGlobalNorm(gradients, maxGradNorm);
            double lr = schedule.lr(steps);
            optimizer.update(leaves, lr);
            afterUpdate();
            steps++;
            afterStep(steps);
            return new StepReport(steps, lossValue, penalty, lr, gradNorm, trainableCount());
        }
    }

    @Override
    public final long steps() {
        return steps;
    }

    /** @throws IllegalStateException after merge or close */
    protected final void requireTrainable() {
        requireOpen();
        if (merged) {
            throw new IllegalStateException("this tuner was merged into the model; attach a new tuner to train further");
        }
    }

    /** @throws IllegalStateException after close */
    protected final void requireOpen() {
        if (closed) {
            throw new IllegalStateException("this tuner is closed");
        }
    }

    /** Marks the tuner as merged: no more steps. */
    protected final void markMerged() {
        merged = true;
    }

    /** Whether {@link #merge()} has run. */
    protected final boolean isMerged() {
        return merged;
    }

    /** Removes the method's adaptations from the module. */
    protected abstract void detachAll();

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        detachAll();
        optimizer.close();
        state.close();
    }
}
