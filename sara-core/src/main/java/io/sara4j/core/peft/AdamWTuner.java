package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.io.SafetensorsDType;
import io.sara4j.core.nn.Autograd;
import io.sara4j.core.nn.Engines;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The step every method shares, in order: read the loss, backward, the method's gradients (and
 * regularizer), the global gradient norm, the AdamW update at the scheduled rate with the clipping
 * folded in (which also zeroes the gradients), the method's after-update work (write back, drop
 * per-step caches), then events due at the new step count. Each step
 * runs in its own {@link NDScope}, so every temporary it creates is closed when it returns; state
 * that must outlive the step is created under the tuner's own manager and unregistered.
 *
 * <p>Training state ({@link #saveState}, {@link #loadState}) is shared too: the step counter, Adam's
 * moments of every leaf and the metadata checks live here; each method adds its values and index
 * sets ({@link #stateTensors}, {@link #readState}). Nothing else needs saving because every per-step
 * random draw is a function of (seed, step) ({@link StepRandom}) and the schedule of the step index.
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
        Engines.requireCorrectGradients(); // every method trains through here: refuse a failed engine once, up front
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

    /** Work after the update: write values back, drop per-step caches. */
    protected abstract void afterUpdate();

    /** Events due once {@code completedSteps} steps are done (SaRA's re-selection). */
    protected void afterStep(long completedSteps) {}

    /** The method name written into files ({@code sara}, {@code lora}, {@code full}, ...). */
    protected abstract String methodId();

    /** The configuration as JSON; a state file must have been saved with the same one. */
    protected abstract String configJson();

    /** The base the tuner was attached to. */
    protected abstract BaseFingerprint fingerprint();

    /**
     * The optimizer's leaves by state-file name, in a fixed order; their moments are saved as
     * {@code <name>.exp_avg} and {@code <name>.exp_avg_sq}.
     */
    protected abstract Map<String, NDArray> namedLeaves();

    /**
     * Adds the method's own tensors (values, index sets) to a state file being written. Arrays
     * created here are left to the caller's scope.
     */
    protected abstract void stateTensors(Map<String, NDArray> out);

    /**
     * Validates the method's tensors in {@code in} (requiring each one) without changing anything,
     * and returns what loading them will do.
     *
     * @throws IllegalArgumentException naming the tensor that does not fit
     */
    protected abstract StatePlan readState(TrainingState.Reader in);

    /** Work after a state was loaded and the step counter set (flags and caches that follow from it). */
    protected void afterStateLoaded() {}

    /**
     * What loading a state file will do, decided after validating it.
     *
     * @param leaves the shape every leaf of {@link #namedLeaves()} will have once {@code apply} ran
     * @param apply puts the values into the tuner; may not fail on the file's content
     */
    protected record StatePlan(Map<String, Shape> leaves, Runnable apply) {}

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
            double gradNorm = AdamW.globalNorm(gradients);
            double lr = schedule.lr(steps);
            optimizer.update(leaves, lr, AdamW.clipFactor(gradNorm, maxGradNorm)); // also zeroes the gradients
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

    @Override
    public final void saveState(Path file) {
        requireTrainable();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            stateTensors(tensors);
            namedLeaves().forEach((name, leaf) -> {
                NDArray[] moments = optimizer.moments(leaf);
                tensors.put(name + TrainingState.EXP_AVG, moments[0]);
                tensors.put(name + TrainingState.EXP_AVG_SQ, moments[1]);
            });
            TrainingState.write(file, tensors, methodId(), configJson(), steps, fingerprint());
        }
    }

    @Override
    public final void loadState(Path file) {
        requireTrainable();
        try (TrainingState.Reader in = TrainingState.Reader.open(file, methodId(), configJson(), fingerprint());
                NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            StatePlan plan = readState(in);
            plan.leaves().forEach((name, shape) -> {
                in.require(name + TrainingState.EXP_AVG, shape, SafetensorsDType.F32);
                in.require(name + TrainingState.EXP_AVG_SQ, shape, SafetensorsDType.F32);
            });
            in.requireNoOthers();
            // everything is checked: from here on the file's content cannot make the load fail half-way
            plan.apply().run();
            Map<String, NDArray> leaves = namedLeaves();
            if (!leaves.keySet().equals(plan.leaves().keySet())) {
                throw new IllegalStateException("state plan covers " + plan.leaves().keySet() + ", leaves are " + leaves.keySet());
            }
            leaves.forEach((name, leaf) -> optimizer.setMoments(leaf,
                    in.load(name + TrainingState.EXP_AVG, state, leaf.getDataType()),
                    in.load(name + TrainingState.EXP_AVG_SQ, state, leaf.getDataType())));
            steps = in.steps();
            optimizer.restoreUpdates(steps);
            afterStateLoaded();
        }
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
