package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.io.SafetensorsDType;
import io.sara4j.core.nn.Autograd;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Masked-dense selective fine-tuning, the way LT-SFT-style methods train a sparse subset (the
 * memory baseline of SaRA §3.2 and Fig. 5): the whole stored tensor is the trainable leaf, backward
 * fills a full-size gradient, the gradient is multiplied by the 0/1 mask and a dense AdamW updates
 * only where the mask is 1.
 *
 * <p>It trains the same entries as SaRA with the same optimizer (given the same selection the two
 * follow the same trajectory up to rounding), but holds per tuned tensor a full-size gradient, two
 * full-size moments and a full-size float mask (16 bytes per weight) instead of SaRA's 28 bytes
 * per trainable value. No rank penalty, no progressive re-selection. The saved adapter has the
 * SaRA layout (positions M, deltas); the training state holds, like full fine-tuning's, each tuned
 * tensor {@code P} whole with its full-size moments {@code P.exp_avg}, {@code P.exp_avg_sq}.
 */
public final class MaskedDenseFineTune extends AdamWTuner {
    private record Tensor(String name, Parameter parameter, NDArray mask, NDArray positions, NDArray originals) {}

    private final List<Tensor> tensors = new ArrayList<>();
    private final BaseFingerprint fingerprint;
    private final SaraConfig config;
    private final double threshold;

    private MaskedDenseFineTune(NDManager state, SaraConfig config, SparseSelection selection, Map<String, Parameter> params) {
        super(state, config.optimizer(), config.optimizer().schedule(config.learningRate(selection.threshold())));
        this.config = config;
        this.threshold = selection.threshold();
        Map<String, NDArray> data = new LinkedHashMap<>();
        selection.indices().keySet().forEach(n -> data.put(n, params.get(n).data()));
        this.fingerprint = BaseFingerprint.of(data);
        selection.indices().forEach((name, positions) -> {
            Parameter p = params.get(name);
            NDArray mask;
            NDArray originals;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray flat = state.zeros(new ai.djl.ndarray.types.Shape(p.shape().size()), p.dataType());
                flat.set(new NDIndex("{}", SparseAdaptation.int64(positions)), 1f);
                mask = flat.reshape(p.shape());
                originals = SparseAdaptation.gather(p.data(), positions);
                NDScope.unregister(mask, originals);
            }
            mask.attach(state);
            originals.attach(state);
            positions.attach(state);
            p.data().setRequiresGradient(true);
            optimizer.register(p.data());
            tensors.add(new Tensor(name, p, mask, positions, originals));
        });
    }

    /** Selects with {@code config}'s rule and trains those entries through masked full-size gradients. */
    public static MaskedDenseFineTune attach(Module module, SaraConfig config) {
        Map<String, Parameter> params = Sara.targets(module, config.targets());
        NDManager state = params.values().iterator().next().data().getManager().newSubManager();
        Map<String, NDArray> data = new LinkedHashMap<>();
        params.forEach((name, p) -> data.put(name, p.data()));
        return new MaskedDenseFineTune(state, config, config.selection().select(data, state), params);
    }

    @Override
    protected List<AdamW.Leaf> collectGradients() {
        List<AdamW.Leaf> leaves = new ArrayList<>();
        for (Tensor t : tensors) {
            NDArray g = Autograd.gradient(t.parameter().data());
            if (g != null) {
                g.muli(t.mask()); // the full-size gradient, masked: what LT-SFT keeps and multiplies
                leaves.add(new AdamW.Leaf(t.parameter().data(), g, t.mask()));
            }
        }
        return leaves;
    }

    @Override
    protected void afterUpdate() {
        for (Tensor t : tensors) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                // P0 + fl(P − P0) at the trained positions, so base + adapter reproduces the model exactly
                NDArray flat = t.parameter().data().stopGradient().reshape(-1);
                NDIndex at = new NDIndex("{}", SparseAdaptation.int64(t.positions()));
                flat.set(at, flat.get(at).subi(t.originals()).addi(t.originals()));
            }
        }
    }

    @Override
    public long trainableCount() {
        return tensors.stream().mapToLong(t -> t.positions().size()).sum();
    }

    @Override
    public long stateBytes() {
        requireOpen();
        long bytes = optimizer.stateBytes();
        for (Tensor t : tensors) {
            bytes += SparseAdaptation.bytes(t.mask()) + SparseAdaptation.bytes(t.positions()) + SparseAdaptation.bytes(t.originals());
        }
        return bytes;
    }

    /** The change at the trained positions as a sparse adapter. */
    public SparseAdapter toAdapter(NDManager parent) {
        requireOpen();
        NDManager out = parent.newSubManager();
        Map<String, SparseAdapter.Entry> entries = new LinkedHashMap<>();
        for (Tensor t : tensors) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray positions = t.positions().duplicate();
                NDArray delta = SparseAdaptation.gather(t.parameter().data(), t.positions()).subi(t.originals());
                NDScope.unregister(positions, delta);
                positions.attach(out);
                delta.attach(out);
                entries.put(t.name(), new SparseAdapter.Entry(positions, delta));
            }
        }
        return new SparseAdapter(out, entries, fingerprint, methodId(), threshold, config.toJson(), steps());
    }

    @Override
    public void save(Path file) {
        try (SparseAdapter adapter = toAdapter(state)) {
            adapter.write(file, SafetensorsDType.F32);
        }
    }

    @Override
    public void load(Path file) {
        requireOpen();
        try (SparseAdapter adapter = SparseAdapter.read(file, state)) {
            fingerprint.checkCompatible(adapter.fingerprint(), file.toString());
            for (Tensor t : tensors) {
                SparseAdapter.Entry e = adapter.entries().get(t.name());
                if (e == null) {
                    continue;
                }
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray theirs = e.positions().toType(DataType.INT64, false);
                    if (theirs.size() != t.positions().size() || !theirs.contentEquals(SparseAdaptation.int64(t.positions()))) {
                        throw new IllegalArgumentException(file + ": tensor '" + t.name()
                                + "' holds positions that differ from this tuner's selection");
                    }
                    NDArray flat = t.parameter().data().stopGradient().reshape(-1);
                    flat.set(new NDIndex("{}", theirs), t.originals().add(e.delta()));
                }
            }
        }
    }

    @Override
    protected String methodId() {
        return "masked-dense";
    }

    @Override
    protected String configJson() {
        return config.toJson();
    }

    @Override
    protected BaseFingerprint fingerprint() {
        return fingerprint;
    }

    @Override
    protected Map<String, NDArray> namedLeaves() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        tensors.forEach(t -> out.put(t.name(), t.parameter().data()));
        return out;
    }

    @Override
    protected void stateTensors(Map<String, NDArray> out) {
        tensors.forEach(t -> out.put(t.name(), t.parameter().data().stopGradient()));
    }

    @Override
    protected StatePlan readState(TrainingState.Reader in) {
        Map<String, Parameter> params = new LinkedHashMap<>();
        tensors.forEach(t -> params.put(t.name(), t.parameter()));
        return FullFineTune.readDenseValues(in, params, state);
    }

    @Override
    public void merge() {
        requireOpen();
        detachAll();
        markMerged();
    }

    @Override
    protected void detachAll() {
        tensors.forEach(t -> FullFineTune.dropGradient(t.parameter()));
    }
}
