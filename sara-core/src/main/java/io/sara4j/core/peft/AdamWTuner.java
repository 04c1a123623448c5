package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
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
 * moments of every leaf and the metadata checks live here. By default a leaf's values are saved
 * whole under its name, which is all the dense methods and LoRA need; SaRA adds its index sets
 * ({@link #stateTensors}, {@link #readState}). Nothing else needs saving because every per-step
 * random draw is a function of (seed, step) ({@link StepRandom}) and the schedule of the step index.
 *
 * <p>What every file names the same way is fixed here once, at attach time: the method id, the
 * configuration as JSON and the fingerprint of the base tensors ({@link #methodId()},
 * {@link #configJson()}, {@link #fingerprint()}). So is the shape of {@link #merge()} and
 * {@link #stateBytes()}; each method supplies only its own part.
 */
abstract class AdamWTuner implements FineTuner {
    protected final NDManager state;
    protected final AdamW optimizer;
    protected final LearningRateSchedule schedule;
    private final double maxGradNorm;
    private final String methodId;
    private final String configJson;
    private final BaseFingerprint fingerprint;
    private long steps;
    private String trainingRecord;
    private boolean merged;
    private boolean closed;

    /**
     * @param state owns every array the tuner keeps; closed by {@link #close()}
     * @param methodId the method name written into every file ({@code sara}, {@code lora}, {@code full}, ...)
     * @param configJson the configuration as JSON, written into every file; a state file must have
     *     been saved with the same one
     * @param base the tuned tensors by name, still holding the pretrained values (they are hashed
     *     into the base fingerprint here, before any training changes them)
     */
    AdamWTuner(NDManager state, OptimizerConfig config, LearningRateSchedule schedule, String methodId,
            String configJson, Map<String, NDArray> base) {
        Engines.requireCorrectGradients(); // every method trains through here: refuse a failed engine once, up front
        this.state = state;
        this.optimizer = new AdamW(config, state);
        this.schedule = schedule;
        this.maxGradNorm = config.maxGradNorm();
        this.methodId = methodId;
        this.configJson = configJson;
        this.fingerprint = BaseFingerprint.of(base);
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
    protected final String methodId() {
        return methodId;
    }

    /** The configuration as JSON; a state file must have been saved with the same one. */
    protected final String configJson() {
        return configJson;
    }

    /** The base the tuner was attached to. */
    protected final BaseFingerprint fingerprint() {
        return fingerprint;
    }

    /**
     * The optimizer's leaves by state-file name, in a fixed order; their moments are saved as
     * {@code <name>.exp_avg} and {@code <name>.exp_avg_sq}.
     */
    protected abstract Map<String, NDArray> namedLeaves();

    /**
     * Adds the method's own tensors (values, index sets) to a state file being written. Arrays
     * created here are left to the caller's scope. By default every leaf of {@link #namedLeaves()}
     * is saved whole under its name: for the dense methods and LoRA the leaves are the trained values.
     */
    protected void stateTensors(Map<String, NDArray> out) {
        namedLeaves().forEach((name, leaf) -> out.put(name, leaf.stopGradient()));
    }

    /**
     * Validates the method's tensors in {@code in} (requiring each one) without changing anything,
     * and returns what loading them will do. By default it reads back what the default
     * {@link #stateTensors} wrote: each leaf whole, with the leaf's shape and type.
     *
     * @throws IllegalArgumentException naming the tensor that does not fit
     */
    protected StatePlan readState(TrainingState.Reader in) {
        Map<String, NDArray> leaves = namedLeaves();
        Map<String, Shape> shapes = new LinkedHashMap<>();
        leaves.forEach((name, leaf) -> {
            in.require(name, leaf.getShape(), SafetensorsDType.of(leaf.getDataType()));
            shapes.put(name, leaf.getShape());
        });
        return new StatePlan(shapes, () -> leaves.forEach((name, leaf) -> {
            try (NDArray target = leaf.stopGradient(); NDArray v = in.load(name, state, leaf.getDataType())) {
                target.set(new NDIndex("..."), v);
            }
        }));
    }

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
            double lossValue = requireFinite(loss);
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
    public final void accumulate(NDArray loss) {
        requireTrainable();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            requireFinite(loss);
            Autograd.backward(loss);
            afterBackwardOnly();
        }
    }

    /** Work after a backward that is not followed by an update (per-step caches whose graph is spent). */
    protected void afterBackwardOnly() {}

    /**
     * Fresh copies of the values that define the tuned model, by name, with shapes fixed for the
     * whole run (for SaRA every position ever trained, not only the active ones): what an
     * {@link ExponentialMovingAverage} averages. By default each leaf of {@link #namedLeaves()}.
     */
    protected Map<String, NDArray> trainedValues() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        namedLeaves().forEach((name, leaf) -> {
            try (NDArray detached = leaf.stopGradient()) {
                out.put(name, detached.duplicate());
            }
        });
        return out;
    }

    /**
     * Puts {@code values} (as {@link #trainedValues()} returns them) into the tuned model, exactly:
     * no rounding, no optimizer state touched. By default into each leaf, then
     * {@link #afterValuesReplaced()}.
     */
    protected void setTrainedValues(Map<String, NDArray> values) {
        namedLeaves().forEach((name, leaf) -> {
            try (NDArray target = leaf.stopGradient()) {
                target.set(new NDIndex("..."), values.get(name));
            }
        });
        afterValuesReplaced();
    }

    /** Work after {@link #setTrainedValues} wrote new values (caches built from the old ones). */
    protected void afterValuesReplaced() {}

    @Override
    public final void setTrainingRecord(String json) {
        this.trainingRecord = json;
    }

    /** Metadata every adapter file of this tuner adds: the run's training record, when one was set. */
    protected final Map<String, String> runMetadata() {
        return trainingRecord == null ? Map.of() : Map.of(TRAINING_KEY, trainingRecord);
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

    /** The loss as a double, refused when not finite (the run diverged). */
    private double requireFinite(NDArray loss) {
        double value;
        try (NDArray l = loss.stopGradient(); NDArray wide = l.toType(DataType.FLOAT64, false)) {
            value = wide.getDouble();
        }
        if (!Double.isFinite(value)) {
            throw new IllegalStateException("loss is " + value + " at step " + (steps + 1)
                    + ": training diverged (lower the learning rate or enable gradient clipping)");
        }
        return value;
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

    /**
     * Writes the adapted values into the stored weights, removes the adaptations and stops training;
     * the method's own part is {@link #writeMerged()}.
     */
    @Override
    public final void merge() {
        requireOpen();
        writeMerged();
        detachAll();
        merged = true;
    }

    /**
     * Writes the adapted values into the stored weights before the adaptations are removed. Nothing
     * to do by default: the sparse and dense methods train the stored weights in place, so merging
     * only removes their adaptations.
     */
    protected void writeMerged() {}

    /** Removes the method's adaptations from the module. */
    protected abstract void detachAll();

    @Override
    public final long stateBytes() {
        requireOpen();
        return optimizer.stateBytes() + ownStateBytes();
    }

    /**
     * Bytes the method holds beyond the optimizer's (trainable values, masks, indices, kept
     * original values); see {@link #stateBytes()}.
     */
    protected abstract long ownStateBytes();

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
