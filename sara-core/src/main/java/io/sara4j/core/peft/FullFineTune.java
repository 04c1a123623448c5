package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
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
public final class FullFineTune extends AdamWTuner {
    /** The learning rate used when the config gives none. */
    public static final double DEFAULT_LEARNING_RATE = 1e-5;

    private final Map<String, Parameter> params;
    private final Map<String, NDArray> originals = new LinkedHashMap<>();
    private final BaseFingerprint fingerprint;
    private final OptimizerConfig config;
    private final NameFilter targets;

    private FullFineTune(NDManager state, Map<String, Parameter> params, NameFilter targets, OptimizerConfig config) {
        super(state, config, config.schedule(DEFAULT_LEARNING_RATE));
        this.params = params;
        this.config = config;
        this.targets = targets;
        Map<String, NDArray> data = new LinkedHashMap<>();
        params.forEach((name, p) -> data.put(name, p.data()));
        this.fingerprint = BaseFingerprint.of(data);
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
        Map<String, Parameter> params = Sara.targets(module, targets);
        NDManager state = params.values().iterator().next().data().getManager().newSubManager();
        return new FullFineTune(state, params, targets, config);
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
    public long stateBytes() {
        requireOpen();
        long bytes = optimizer.stateBytes();
        for (NDArray original : originals.values()) {
            bytes += SparseAdaptation.bytes(original);
        }
        return bytes;
    }

    /** The change as a sparse adapter: per tensor every position whose value differs from P0. */
    public SparseAdapter toAdapter(NDManager parent) {
        requireOpen();
        NDManager out = parent.newSubManager();
        Map<String, SparseAdapter.Entry> entries = new LinkedHashMap<>();
        params.forEach((name, p) -> {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray delta = p.data().stopGradient().reshape(-1).sub(originals.get(name).reshape(-1));
                NDArray changed = delta.neq(0).nonzero().reshape(-1);
                NDArray positions = changed.toType(SparseSelection.indexType(p.shape().size()), false);
                NDArray values = delta.get(new NDIndex("{}", changed));
                NDScope.unregister(positions, values);
                positions.attach(out);
                values.attach(out);
                entries.put(name, new SparseAdapter.Entry(positions, values));
            }
        });
        return new SparseAdapter(out, entries, fingerprint, methodId(), Double.NaN, configJson(), steps());
    }

    /** {@code optimizer} (see {@link OptimizerConfig#describe()}), {@code include}, {@code exclude}. */
    @Override
    protected String configJson() {
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

    @Override
    protected String methodId() {
        return "full";
    }

    @Override
    protected BaseFingerprint fingerprint() {
        return fingerprint;
    }

    @Override
    protected Map<String, NDArray> namedLeaves() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        params.forEach((name, p) -> out.put(name, p.data()));
        return out;
    }

    @Override
    protected void stateTensors(Map<String, NDArray> out) {
        params.forEach((name, p) -> out.put(name, p.data().stopGradient()));
    }

    @Override
    protected StatePlan readState(TrainingState.Reader in) {
        return readDenseValues(in, params, state);
    }

    /**
     * Validates and plans the load of whole tensors {@code P} (current values), the state of the
     * dense methods, whose leaves are the stored tensors themselves.
     */
    static StatePlan readDenseValues(TrainingState.Reader in, Map<String, Parameter> params, NDManager manager) {
        Map<String, Shape> leaves = new LinkedHashMap<>();
        params.forEach((name, p) -> {
            in.require(name, p.shape(), SafetensorsDType.of(p.dataType()));
            leaves.put(name, p.shape());
        });
        return new StatePlan(leaves, () -> params.forEach((name, p) -> {
            try (NDArray w = p.data().stopGradient(); NDArray v = in.load(name, manager, p.dataType())) {
                w.set(new NDIndex("..."), v);
            }
        }));
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
            adapter.entries().forEach((name, e) -> {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray base = originals.get(name).duplicate();
                    NDArray flat = base.reshape(-1);
                    NDIndex at = new NDIndex("{}", SparseAdaptation.int64(e.positions()));
                    flat.set(at, flat.get(at).add(e.delta()));
                    try (NDArray w = params.get(name).data().stopGradient()) {
                        w.set(new NDIndex("..."), base);
                    }
                }
            });
        }
    }

    /** The tuned values are already in the stored tensors; merging stops tracking gradients. */
    @Override
    public void merge() {
        requireOpen();
        detachAll();
        markMerged();
    }

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
