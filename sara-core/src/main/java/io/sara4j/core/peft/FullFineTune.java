package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * Full fine-tuning, the paper's upper baseline (Table 1): AdamW on every targeted parameter.
 *
 * <p>The stored tensors become the trainable leaves (they require a gradient and receive a
 * full-size gradient buffer). The original values are kept (one more full copy) because the adapter
 * file holds ΔP = P − P0, which is what makes α-scaling and the base fingerprint possible; the saved
 * adapter lists every position that changed. Held for training: gradient, two moments and the
 * original copy, 16 bytes per tuned value.
 *
 * <p>Default learning rate 1e-5 (diffusers' full fine-tuning script) when none is given.
 *
 * <p>Training state: per tuned tensor {@code P} its current values {@code P} and moments
 * {@code P.exp_avg}, {@code P.exp_avg_sq}.
 */
public final class FullFineTune extends SparseTuner {
    /** The learning rate used when the config gives none. */
    public static final double DEFAULT_LEARNING_RATE = 1e-5;

    private final Map<String, Parameter> params;
    private final Map<String, NDArray> originals = new LinkedHashMap<>();

    private FullFineTune(NDManager state, Map<String, Parameter> params, NameFilter targets, OptimizerConfig config) {
        super(state, config, config.schedule(DEFAULT_LEARNING_RATE), "full", configJson(config, targets),
                TunedParameters.storedTensors(params));
        this.params = params;
        params.forEach((name, p) -> {
            NDArray copy = p.data().duplicate();
            NDScope.unregister(copy); // state, not a temporary of a scope the caller may have open
            copy.attach(state);
            originals.put(name, copy);
            p.data().setRequiresGradient(true);
            optimizer.register(p.data());
        });
    }

    /** Trains every parameter of {@code module} that {@code targets} selects. */
    public static FullFineTune attach(Module module, NameFilter targets, OptimizerConfig config) {
        Map<String, Parameter> params = TunedParameters.select(module, targets);
        return new FullFineTune(TunedParameters.stateManager(params), params, targets, config);
    }

    @Override
    protected List<AdamW.Leaf> collectGradients() {
        List<AdamW.Leaf> leaves = new ArrayList<>();
        params.values().forEach(p -> {
            NDArray g = Autograd.gradient(p.data());
            if (g != null) {
                leaves.add(new AdamW.Leaf(p.data(), g, null));
            }
        });
        return leaves;
    }

    @Override
    protected void afterUpdate() {
        params.forEach((name, p) -> {
            NDArray o = originals.get(name);
            try (NDArray w = p.data().stopGradient()) {
                w.subi(o).addi(o); // P0 + fl(P − P0): base + adapter reproduces it bit for bit
            }
        });
    }

    @Override
    public long trainableCount() {
        return params.values().stream().mapToLong(p -> p.shape().size()).sum();
    }

    @Override
    protected long ownStateBytes() {
        return originals.values().stream().mapToLong(SparseAdaptation::bytes).sum();
    }

    /** Per tensor every position whose value differs from P0, and the difference there. */
    @Override
    protected Map<String, Supplier<SparseAdapter.Entry>> adapterEntries() {
        Map<String, Supplier<SparseAdapter.Entry>> out = new LinkedHashMap<>();
        params.forEach((name, p) -> out.put(name, () -> {
            NDArray delta = p.data().stopGradient().reshape(-1).sub(originals.get(name).reshape(-1));
            NDArray changed = delta.neq(0).nonzero().reshape(-1);
            NDArray positions = changed.toType(SparseSelection.indexType(p.shape().size()), false);
            return new SparseAdapter.Entry(positions, delta.get(new NDIndex("{}", changed)));
        }));
        return out;
    }

    /** Full fine-tuning has no selection threshold. */
    @Override
    protected double threshold() {
        return Double.NaN;
    }

    /** {@code optimizer} (see {@link OptimizerConfig#describe()}), {@code include}, {@code exclude}. */
    private static String configJson(OptimizerConfig config, NameFilter targets) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("optimizer", config.describe());
        m.put("include", targets.include());
        m.put("exclude", targets.exclude());
        try {
            return new ObjectMapper().writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("config is not serializable", e);
        }
    }

    /** The training state's values are the stored tensors themselves, saved whole as {@code P}. */
    @Override
    protected Map<String, NDArray> namedLeaves() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        params.forEach((name, p) -> out.put(name, p.data()));
        return out;
    }

    /** P = P0 + ΔP at the adapter's positions, P0 elsewhere. */
    @Override
    protected void applyEntry(String name, SparseAdapter.Entry entry, Path file) {
        NDArray base = originals.get(name).duplicate();
        NDArray flat = base.reshape(-1);
        NDIndex at = new NDIndex("{}", SparseAdaptation.int64(entry.positions()));
        flat.set(at, flat.get(at).add(entry.delta()));
        try (NDArray w = params.get(name).data().stopGradient()) {
            w.set(new NDIndex("..."), base);
        }
    }

    /** The tuned values are already in the stored tensors; detaching (and merging) stops tracking gradients. */
    @Override
    protected void detachAll() {
        params.values().forEach(FullFineTune::dropGradient);
    }

    /**
     * Makes the stored tensor a plain frozen array again: PyTorch keeps a gradient buffer after
     * requires_grad is switched off, so the tensor is replaced by a copy without one.
     */
    static void dropGradient(Parameter p) {
        if (!p.data().hasGradient()) {
            return;
        }
        p.data().setRequiresGradient(false);
        try (NDArray copy = p.data().duplicate()) {
            p.copyFrom(copy); // a fresh tensor, without the gradient buffer
        }

    }
}
