package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import io.sara4j.core.io.SafetensorsDType;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A tuner whose adapter file is a {@link SparseAdapter} (positions and ΔP = P − P0 there): SaRA and
 * its ablations, masked-dense and full fine-tuning. Building the adapter, writing it, and the checks
 * before loading one live here once; each method says only how it finds its deltas
 * ({@link #adapterEntries()}) and how it puts loaded ones back ({@link #applyAdapter}).
 */
abstract class SparseTuner extends AdamWTuner {

    SparseTuner(NDManager state, OptimizerConfig config, LearningRateSchedule schedule, String methodId,
            String configJson, Map<String, NDArray> base) {
        super(state, config, schedule, methodId, configJson, base);
    }

    /**
     * Per tuned tensor, in file order, how to compute its adapter entry from the current weights.
     * Each supplier runs inside its own scope: it may create temporaries freely, and the two arrays
     * of the entry it returns are kept (moved to the adapter's manager).
     */
    protected abstract Map<String, Supplier<SparseAdapter.Entry>> adapterEntries();

    /**
     * Checks {@code adapter} as a whole before {@link #applyEntry} changes anything; nothing by
     * default. Its base fingerprint has been checked already, so it names only tensors tuned here.
     *
     * @param file where the adapter was read from, for messages
     * @throws IllegalArgumentException naming the tensor that does not fit this tuner
     */
    protected void checkAdapter(SparseAdapter adapter, Path file) {}

    /**
     * Puts one tensor's entry of a loaded adapter into the module. Runs inside its own scope, so
     * temporaries may be created freely.
     *
     * @param name a tensor tuned here
     * @param file where the adapter was read from, for messages
     * @throws IllegalArgumentException naming the tensor whose positions do not fit this tuner
     */
    protected abstract void applyEntry(String name, SparseAdapter.Entry entry, Path file);

    /** The selection threshold θ written into the adapter (NaN when the method has none). */
    protected abstract double threshold();

    /** The trained change as an adapter owned by a new sub-manager of {@code parent}. */
    public final SparseAdapter toAdapter(NDManager parent) {
        requireOpen();
        NDManager out = parent.newSubManager();
        Map<String, SparseAdapter.Entry> entries = new LinkedHashMap<>();
        adapterEntries().forEach((name, entry) -> {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                SparseAdapter.Entry e = entry.get();
                NDScope.unregister(e.positions(), e.delta()); // outlive the scope: they belong to the adapter
                e.positions().attach(out);
                e.delta().attach(out);
                entries.put(name, e);
            }
        });
        return new SparseAdapter(out, entries, fingerprint(), methodId(), threshold(), configJson(), steps());
    }

    @Override
    public void save(Path file) {
        writeAdapter(file, SafetensorsDType.F32);
    }

    /** Writes the adapter with deltas in {@code deltaType} (F32, F16 or BF16). */
    protected final void writeAdapter(Path file, SafetensorsDType deltaType) {
        try (SparseAdapter adapter = toAdapter(state)) {
            adapter.write(file, deltaType, runMetadata());
        }
    }

    /**
     * Reads a sparse adapter saved from a run on the same base and puts its values into the module;
     * optimizer moments and step count are kept.
     *
     * @throws IllegalArgumentException if the base or a tensor's positions differ
     */
    @Override
    public final void load(Path file) {
        requireOpen();
        try (SparseAdapter adapter = SparseAdapter.read(file, state)) {
            // the file then names only tensors tuned here, all trained from the same base values
            fingerprint().checkCompatible(adapter.fingerprint(), file.toString());
            checkAdapter(adapter, file);
            for (String name : fingerprint().tensors().keySet()) { // the tuned tensors, in this tuner's order
                SparseAdapter.Entry entry = adapter.entries().get(name);
                if (entry == null) {
                    continue; // a tensor the file does not cover keeps its current values
                }
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    applyEntry(name, entry, file);
                }
            }
        }
    }
}
