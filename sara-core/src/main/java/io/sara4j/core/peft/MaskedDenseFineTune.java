package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.nn.Autograd;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

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
public final class MaskedDenseFineTune extends SparseTuner {
    private record Tensor(Parameter parameter, NDArray mask, NDArray positions, NDArray originals) {}

    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final double threshold;

    private MaskedDenseFineTune(NDManager state, SaraConfig config, SparseSelection selection, Map<String, Parameter> params) {
        super(state, config.optimizer(), config.optimizer().schedule(config.learningRate(selection.threshold())),
                "masked-dense", config.toJson(), TunedParameters.storedTensors(params, selection.indices().keySet()));
        this.threshold = selection.threshold();
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
            tensors.put(name, new Tensor(p, mask, positions, originals));
        });
    }

    /** Selects with {@code config}'s rule and trains those entries through masked full-size gradients. */
    public static MaskedDenseFineTune attach(Module module, SaraConfig config) {
        Map<String, Parameter> params = TunedParameters.select(module, config.targets());
        NDManager state = TunedParameters.stateManager(params);
        SparseSelection selection = config.selection().select(TunedParameters.storedTensors(params), state);
        return new MaskedDenseFineTune(state, config, selection, params);
    }

    @Override
    protected List<AdamW.Leaf> collectGradients() {
        List<AdamW.Leaf> leaves = new ArrayList<>();
        for (Tensor t : tensors.values()) {
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
        for (Tensor t : tensors.values()) {
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
        return tensors.values().stream().mapToLong(t -> t.positions().size()).sum();
    }

    @Override
    protected long ownStateBytes() {
        long bytes = 0;
        for (Tensor t : tensors.values()) {
            bytes += SparseAdaptation.bytes(t.mask()) + SparseAdaptation.bytes(t.positions()) + SparseAdaptation.bytes(t.originals());
        }
        return bytes;
    }

    /** The change at the trained positions. */
    @Override
    protected Map<String, Supplier<SparseAdapter.Entry>> adapterEntries() {
        Map<String, Supplier<SparseAdapter.Entry>> out = new LinkedHashMap<>();
        tensors.forEach((name, t) -> out.put(name, () -> new SparseAdapter.Entry(t.positions().duplicate(),
                SparseAdaptation.gather(t.parameter().data(), t.positions()).subi(t.originals()))));
        return out;
    }

    @Override
    protected double threshold() {
        return threshold;
    }

    /** P = P0 + ΔP at the selection, after checking that the entry holds this tuner's positions. */
    @Override
    protected void applyEntry(String name, SparseAdapter.Entry entry, Path file) {
        Tensor t = tensors.get(name);
        NDArray theirs = entry.positions().toType(DataType.INT64, false);
        if (theirs.size() != t.positions().size() || !theirs.contentEquals(SparseAdaptation.int64(t.positions()))) {
            throw new IllegalArgumentException(file + ": tensor '" + name
                    + "' holds positions that differ from this tuner's selection");
        }
        NDArray flat = t.parameter().data().stopGradient().reshape(-1);
        flat.set(new NDIndex("{}", theirs), t.originals().add(entry.delta()));
    }

    /** The training state's values are the stored tensors, saved whole like full fine-tuning's. */
    @Override
    protected Map<String, NDArray> namedLeaves() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        tensors.forEach((name, t) -> out.put(name, t.parameter().data()));
        return out;
    }

    @Override
    protected void detachAll() {
        tensors.values().forEach(t -> FullFineTune.dropGradient(t.parameter()));
    }
}
