package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Adaptation;
import io.sara4j.core.nn.Autograd;
import io.sara4j.core.nn.Parameter;

/**
 * Unstructured backpropagation for one tensor (SaRA §3.2): the selected entries are a separate
 * trainable vector v, written into the frozen weight at their positions during the forward pass.
 *
 * <p><b>No second full-size copy.</b> In a recorded forward pass {@link #apply} writes v into a
 * detached flat alias of the stored tensor's own storage (an indexed put of v into
 * {@code base.reshape(-1).stopGradient()}) and returns a reshape of that alias. Only v requires a
 * gradient; backward of the indexed put hands v exactly the dense gradient gathered at the
 * positions, and the stored tensor, which is no leaf, never receives a gradient buffer.
 *
 * <p><b>Invariant: the stored tensor always holds the current values.</b> The forward pass writes v
 * into the storage, and after every optimizer update {@link #writeValuesToStorage()} writes the new
 * v there too. So merge is free (the values are already in place), saving reads the storage,
 * progressive re-selection reads |P_current| from it, and an unrecorded forward pass (sampling,
 * evaluation) simply returns the stored tensor.
 *
 * <p>The adapted weight of a recorded pass is built once and reused until the next optimizer step:
 * a second indexed put into the same storage would invalidate the first use's saved tensors.
 *
 * <p>Held per selected entry: position (int64, the index type of the engine's indexed put and
 * gather, so that no step converts them), original value P0[M], v, its gradient; the two Adam
 * moments live in {@link AdamW}. Files store the positions as int32 where they fit
 * ({@link #compact}). After progressive re-selection (§3.3) the trained set
 * shrinks to the active positions, while {@link #positions()} and {@link #originals()} keep covering
 * every position that was ever trained, so the saved adapter holds every change.
 */
final class SparseAdaptation implements Adaptation, AutoCloseable {
    private final String name;
    private final Parameter parameter;
    private final NDManager state;
    private final NDArray positions;   // M, sorted flat positions (int64), never changes
    private final NDArray originals;   // P0[M]
    private NDArray active;            // the positions trained now: M, or M2 ⊆ M after re-selection
    private NDArray activeOriginals;   // P0 at the active positions
    private NDArray values;            // v, the trainable leaf, aligned with active
    private NDManager forward;         // owns the cached adapted weight of the current step
    private NDArray cachedWeight;

    /**
     * Takes ownership of {@code positions} (int32 or int64; kept as int64) and builds v = P0[M] (the
     * real, signed values) and its saved copy; everything is owned by a sub-manager of
     * {@code stateParent}.
     */
    SparseAdaptation(String name, Parameter parameter, NDArray positions, NDManager stateParent) {
        this.name = name;
        this.parameter = parameter;
        this.state = stateParent.newSubManager();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            this.positions = int64(positions);
            NDArray gathered = gather(parameter.data(), this.positions);
            this.originals = gathered.duplicate();
            this.values = gathered;
            NDScope.unregister(this.positions, originals, values);
        }
        if (this.positions != positions) {
            positions.close();
        }
        this.positions.attach(state);
        originals.attach(state);
        values.attach(state);
        values.setRequiresGradient(true);
        this.active = this.positions;
        this.activeOriginals = originals;
        this.forward = state.newSubManager();
    }

    /** The parameter's dotted name. */
    String name() {
        return name;
    }

    /** The adapted parameter. */
    Parameter parameter() {
        return parameter;
    }

    /** Every position ever trained (M), sorted, int64. */
    NDArray positions() {
        return positions;
    }

    /** P0 at {@link #positions()}. */
    NDArray originals() {
        return originals;
    }

    /** The positions trained now, sorted, int64. */
    NDArray active() {
        return active;
    }

    /** P0 at {@link #active()}. */
    NDArray activeOriginals() {
        return activeOriginals;
    }

    /** The trainable vector v (requires a gradient), aligned with {@link #active()}. */
    NDArray values() {
        return values;
    }

    @Override
    public NDArray apply(NDArray base) {
        if (!Autograd.isRecording()) {
            return base; // the storage already holds v at its positions
        }
        if (cachedWeight != null && !cachedWeight.isReleased()) {
            return cachedWeight;
        }
        // Results of ops on the stored tensor would belong to the model's manager; they are moved to
        // this step's manager so that nothing accumulates there.
        NDArray view = base.reshape(-1);                // the stored tensor needs no gradient: a plain view
        NDArray flat = view.stopGradient();             // an alias autograd treats as a tensor of its own
        flat.set(new NDIndex("{}", active), values);    // writes v in place and records the link to v on flat
        NDArray weight = flat.reshape(base.getShape()); // a view of flat: its backward only reshapes the gradient
        // The order matters. Detaching first and reshaping after would make flat a view autograd
        // tracks, and an in-place write into such a view is recorded on its base (CopySlices), whose
        // backward copies the weight-sized gradient twice per tensor before it gathers v's part.
        view.attach(forward);
        flat.attach(forward);
        weight.attach(forward);
        cachedWeight = weight;
        return weight;
    }

    /** Forgets the adapted weight of the last recorded pass (after an update its graph is spent). */
    void invalidate() {
        cachedWeight = null;
        forward.close();
        forward = state.newSubManager();
    }

    /**
     * Rounds v to what the adapter file encodes, P0 + fl32(v − P0), so that base + adapter is
     * bit-identical to the tuned model; the change is below one float32 ulp of the delta.
     */
    void roundToDeltaPrecision() {
        try (NDArray v = values.stopGradient()) {
            v.subi(activeOriginals).addi(activeOriginals); // in place: fl(fl(v − P0) + P0)
        }
    }

    /** Writes v into the stored tensor at the active positions, without autograd history. */
    void writeValuesToStorage() {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray flat = parameter.data().stopGradient().reshape(-1);
            flat.set(new NDIndex("{}", active), values.stopGradient());
        }
    }

    /**
     * Keeps only the active entries at {@code keep} (0-based offsets into the active list, int64):
     * the new v holds their current values; the dropped entries stay in the stored tensor at their
     * trained values. Returns the new v, whose Adam moments the caller carries over.
     */
    NDArray restrictTo(NDArray keep) {
        return replaceActive(active, activeOriginals, keep);
    }

    /**
     * Makes the entries of M at {@code keep} (0-based offsets into {@link #positions()}, int64,
     * ascending) the trained set, whatever it was before, with v read from the stored tensor: the
     * active set of a resumed run. Returns the new v; the caller registers it with the optimizer.
     */
    NDArray activate(NDArray keep) {
        return replaceActive(positions, originals, keep);
    }

    /** Active set = {@code from}[keep] (all of M when that is what it selects), v = stored values there. */
    private NDArray replaceActive(NDArray from, NDArray fromOriginals, NDArray keep) {
        NDArray oldValues = values;
        NDArray oldActive = active;
        NDArray oldActiveOriginals = activeOriginals;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            if (from == positions && keep.size() == positions.size()) {
                active = positions; // a strictly ascending subset of M as large as M is M
                activeOriginals = originals;
            } else {
                NDIndex at = new NDIndex("{}", keep);
                active = from.get(at);
                activeOriginals = fromOriginals.get(at);
                NDScope.unregister(active, activeOriginals);
            }
            values = gather(parameter.data(), active); // the stored tensor holds v at the active positions
            NDScope.unregister(values);
        }
        active.attach(state);
        activeOriginals.attach(state);
        values.attach(state);
        values.setRequiresGradient(true);
        if (oldActive != positions && oldActive != active) {
            oldActive.close();
            oldActiveOriginals.close();
        }
        oldValues.close();
        invalidate();
        return values;
    }

    /**
     * {@code positions} (of this tensor) in the type files store them in: int32 unless the tensor has
     * more than 2^31 entries. Always a new array, in the caller's scope.
     */
    NDArray compact(NDArray positions) {
        return positions.toType(SparseSelection.indexType(parameter.data().size()), true);
    }

    /** The current stored values at every position ever trained (a new array in the caller's scope). */
    NDArray currentAtPositions() {
        return gather(parameter.data(), positions);
    }

    /**
     * Sets the stored values at every position ever trained to {@code atPositions} (aligned with
     * {@link #positions()}); v follows at the active ones. Used to swap averaged values in and out.
     */
    void setAtPositions(NDArray atPositions) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray flat = parameter.data().stopGradient().reshape(-1);
            flat.set(new NDIndex("{}", positions), atPositions);
            values.stopGradient().set(new NDIndex(":"), gather(parameter.data(), active));
        }
        invalidate();
    }

    /** Bytes held for training: positions, originals, active subset and v (its gradient is the optimizer's). */
    long stateBytes() {
        long bytes = bytes(positions) + bytes(originals) + bytes(values);
        if (active != positions) {
            bytes += bytes(active) + bytes(activeOriginals);
        }
        return bytes;
    }

    /** Number of values trained now. */
    long activeCount() {
        return active.size();
    }

    /** Removes this adaptation from the parameter; the stored tensor keeps the current values. */
    void detach() {
        if (parameter.adaptation() == this) {
            parameter.setAdaptation(null);
        }
        cachedWeight = null;
    }

    @Override
    public void close() {
        detach();
        state.close();
    }

    /** tensor.flatten()[positions], as a new array. */
    static NDArray gather(NDArray tensor, NDArray positions) {
        NDArray index = int64(positions);
        try (NDArray detached = tensor.stopGradient(); NDArray flat = detached.reshape(-1)) {
            return flat.get(new NDIndex("{}", index));
        } finally {
            if (index != positions) {
                index.close();
            }
        }
    }

    /**
     * The positions as int64, the index type the engine's indexing takes; int32 positions are
     * widened into a temporary (DJL would otherwise widen them into the positions' own manager on
     * every call and never free the copy).
     */
    static NDArray int64(NDArray positions) {
        return positions.getDataType() == DataType.INT64 ? positions : positions.toType(DataType.INT64, false);
    }

    static long bytes(NDArray array) {
        return array.size() * array.getDataType().getNumOfBytes();
    }

    /** The shape of the adapted parameter. */
    Shape shape() {
        return parameter.shape();
    }
}
