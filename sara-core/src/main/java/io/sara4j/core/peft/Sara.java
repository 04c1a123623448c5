package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.io.SafetensorsDType;
import io.sara4j.core.nn.Autograd;
import io.sara4j.core.nn.HostArrays;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SaRA (Hu et al., ICLR 2025): fine-tune only the pretrained weights of smallest magnitude, with a
 * nuclear-norm penalty that keeps their update low-rank and a progressive re-selection half-way.
 * The paper's one-line adoption:
 * <pre>{@code FineTuner tuner = Sara.attach(unet, SaraConfig.threshold(2e-3));}</pre>
 *
 * <p>The parts, each in its own class: selection M = |P0| &lt; θ ({@link SelectionRule}, §3.1);
 * unstructured backpropagation through a trainable vector per tensor ({@link SparseAdaptation},
 * §3.2); AdamW on those vectors only ({@link AdamW}); the rank penalty
 * ({@link NuclearNormPenalty} with {@link NewtonSchulz}, §3.1); progressive re-selection
 * ({@link ProgressiveReselection}, §3.3); the adapter file ({@link SparseAdapter}).
 *
 * <p>The same machinery with a different {@link SelectionRule} gives the paper's ablations
 * (random entries, largest weights; see {@link #attachMatchingCount}).
 *
 * <p>Training state ({@link #saveState}): per tuned tensor {@code P}, {@code P.sara.idx} (the
 * selection M), {@code P.sara.active} (the entries trained now, M2 after re-selection),
 * {@code P.sara.value} (the current values at M, frozen entries included) and the moments of v,
 * {@code P.sara.exp_avg} and {@code P.sara.exp_avg_sq}, aligned with the active entries.
 */
public final class Sara extends AdamWTuner {
    private static final Logger LOG = LoggerFactory.getLogger(Sara.class);
    /** Infix of the state-file tensors of a tuned tensor: {@code <name>.sara.idx}, ... */
    private static final String STATE_PREFIX = ".sara";

    private final SaraConfig config;
    private final List<SparseAdaptation> tensors;
    private final NuclearNormPenalty penalty;
    private final ProgressiveReselection progressive;
    private final BaseFingerprint fingerprint;
    private final double threshold;
    private final long selectedCount;
    private Map<SparseAdaptation, NDArray> stepGradients = Map.of();

    private Sara(NDManager state, SaraConfig config, SparseSelection selection, Map<String, Parameter> params) {
        super(state, config.optimizer(), config.optimizer().schedule(config.learningRate(selection.threshold())));
        this.config = config;
        this.threshold = selection.threshold();
        this.selectedCount = selection.count();
        Map<String, NDArray> tunedData = new LinkedHashMap<>();
        selection.indices().keySet().forEach(name -> tunedData.put(name, params.get(name).data()));
        this.fingerprint = BaseFingerprint.of(tunedData); // before any value changes: these are P0
        this.tensors = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : selection.indices().entrySet()) {
            Parameter p = params.get(e.getKey());
            SparseAdaptation t = new SparseAdaptation(e.getKey(), p, e.getValue(), state);
            p.setAdaptation(t);
            optimizer.register(t.values());
            tensors.add(t);
        }
        this.penalty = new NuclearNormPenalty(config.rankLambda(), config.rankTarget(), config.rankAllLayers(),
                config.rankIncludeConv(), config.rankMinDim(), config.seed(), tensors);
        this.progressive = new ProgressiveReselection(config.resolvedProgressiveIter(), threshold);
    }

    /**
     * Selects the trainable entries of {@code module}'s targeted parameters and installs SaRA on them.
     *
     * @throws IllegalArgumentException if no parameter matches the targets
     * @throws IllegalStateException if a targeted parameter already has an adaptation
     */
    public static Sara attach(Module module, SaraConfig config) {
        Map<String, Parameter> params = targets(module, config.targets());
        NDManager state = params.values().iterator().next().data().getManager().newSubManager();
        Map<String, NDArray> data = new LinkedHashMap<>();
        params.forEach((name, p) -> data.put(name, p.data()));
        SparseSelection selection = config.selection().select(data, state);
        Sara sara = new Sara(state, config, selection, params);
        LOG.info("{}: {} ({} tensors eligible for the rank penalty, lr {}, progressive re-selection {})",
                config.methodId(), selection.summary(), sara.penalty.eligible().size(),
                String.format(java.util.Locale.ROOT, "%.4g", sara.schedule.baseLearningRate()),
                sara.progressive.enabled() ? "after step " + sara.progressive.atStep() : "off");
        return sara;
    }

    /**
     * The ablation baselines of §5.4 at SaRA's budget: counts the entries {@code config}'s own
     * selection would train, then attaches with {@code rule} built for that count (random entries or
     * largest weights), all other settings kept. Progressive re-selection is off (these rules have no θ).
     *
     * @param rule {@code "random"} or {@code "largest"}
     */
    public static Sara attachMatchingCount(Module module, SaraConfig config, String rule) {
        Map<String, Parameter> params = targets(module, config.targets());
        long count;
        try (NDManager scratch = params.values().iterator().next().data().getManager().newSubManager()) {
            Map<String, NDArray> data = new LinkedHashMap<>();
            params.forEach((name, p) -> data.put(name, p.data()));
            count = config.selection().select(data, scratch).count();
        }
        SelectionRule matched = switch (rule) {
            case "random" -> new SelectionRule.RandomEntries(count, config.seed());
            case "largest" -> new SelectionRule.LargestMagnitude(count);
            default -> throw new IllegalArgumentException("unsupported value '" + rule + "' for rule (supported: random, largest)");
        };
        return attach(module, config.toBuilder().setSelection(matched).build());
    }

    /** The targeted parameters, refusing an empty set and already adapted parameters. */
    static Map<String, Parameter> targets(Module module, NameFilter filter) {
        Map<String, Parameter> params = new LinkedHashMap<>();
        module.namedParameters().forEach((name, p) -> {
            if (filter.test(name)) {
                if (p.adaptation() != null) {
                    throw new IllegalStateException("parameter '" + name + "' already has an adaptation ("
                            + p.adaptation().getClass().getSimpleName() + "); close the other tuner first");
                }
                params.put(name, p);
            }
        });
        if (params.isEmpty()) {
            throw new IllegalArgumentException("no parameter of " + module.getClass().getSimpleName()
                    + " matches include " + filter.include() + " / exclude " + filter.exclude());
        }
        return params;
    }

    @Override
    protected List<AdamW.Leaf> collectGradients() {
        Map<SparseAdaptation, NDArray> gradients = new LinkedHashMap<>();
        for (SparseAdaptation t : tensors) {
            NDArray g = Autograd.gradient(t.values());
            if (g != null) {
                gradients.put(t, g);
            }
        }
        stepGradients = gradients;
        return leaves(gradients);
    }

    @Override
    protected double addRegularizer(List<AdamW.Leaf> leaves) {
        Map<SparseAdaptation, NDArray> gradients = new LinkedHashMap<>(stepGradients);
        for (SparseAdaptation t : penalty.eligible()) {
            gradients.computeIfAbsent(t, x -> x.values().zerosLike()); // a tensor the loss did not reach
        }
        double value = penalty.addGradients(gradients, steps());
        if (gradients.size() != leaves.size()) {
            leaves.clear();
            leaves.addAll(leaves(gradients));
        }
        return value;
    }

    private static List<AdamW.Leaf> leaves(Map<SparseAdaptation, NDArray> gradients) {
        List<AdamW.Leaf> out = new ArrayList<>();
        gradients.forEach((t, g) -> out.add(new AdamW.Leaf(t.values(), g, null)));
        return out;
    }

    @Override
    protected void afterUpdate() {
        for (SparseAdaptation t : tensors) {
            t.roundToDeltaPrecision();
            t.writeValuesToStorage();
            t.invalidate();
        }
        stepGradients = Map.of();
    }

    @Override
    protected void afterStep(long completedSteps) {
        if (progressive.due(completedSteps)) {
            progressive.apply(tensors, optimizer);
        }
    }

    @Override
    public long trainableCount() {
        return tensors.stream().mapToLong(SparseAdaptation::activeCount).sum();
    }

    /** Entries selected at attach time (before any re-selection). */
    public long selectedCount() {
        return selectedCount;
    }

    /** The selection threshold θ (NaN for the random and largest ablations). */
    public double threshold() {
        return threshold;
    }

    /** The base learning rate in use. */
    public double learningRate() {
        return schedule.baseLearningRate();
    }

    /** The configuration. */
    public SaraConfig config() {
        return config;
    }

    @Override
    public long stateBytes() {
        requireOpen();
        long bytes = optimizer.stateBytes();
        for (SparseAdaptation t : tensors) {
            bytes += t.stateBytes();
        }
        return bytes;
    }

    /**
     * The trained change as an adapter: for each tuned tensor, every position ever trained (so also
     * those frozen by re-selection) and ΔP = P_current − P0 there, read from the stored weights.
     */
    public SparseAdapter toAdapter(NDManager parent) {
        requireOpen();
        NDManager out = parent.newSubManager();
        Map<String, SparseAdapter.Entry> entries = new LinkedHashMap<>();
        for (SparseAdaptation t : tensors) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray positions = t.compact(t.positions());
                NDArray delta = t.currentAtPositions().subi(t.originals());
                NDScope.unregister(positions, delta);
                positions.attach(out);
                delta.attach(out);
                entries.put(t.name(), new SparseAdapter.Entry(positions, delta));
            }
        }
        return new SparseAdapter(out, entries, fingerprint, config.methodId(), threshold, config.toJson(), steps());
    }

    @Override
    public void save(Path file) {
        save(file, SafetensorsDType.F32);
    }

    /** Saves with deltas in {@code deltaType} (F32, F16 or BF16). */
    public void save(Path file, SafetensorsDType deltaType) {
        try (SparseAdapter adapter = toAdapter(state)) {
            adapter.write(file, deltaType);
        }
    }

    /**
     * Puts the values of an adapter saved from a run on the same base and selection into the module
     * (P = P0 + ΔP at M); the trainable values follow. Optimizer moments and step count are kept.
     *
     * @throws IllegalArgumentException naming the tensor whose base or positions differ
     */
    @Override
    public void load(Path file) {
        requireOpen();
        try (SparseAdapter adapter = SparseAdapter.read(file, state)) {
            fingerprint.checkCompatible(adapter.fingerprint(), file.toString());
            Map<String, SparseAdaptation> byName = new LinkedHashMap<>();
            tensors.forEach(t -> byName.put(t.name(), t));
            for (Map.Entry<String, SparseAdapter.Entry> e : adapter.entries().entrySet()) {
                SparseAdaptation t = byName.get(e.getKey());
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray theirs = SparseAdaptation.int64(e.getValue().positions());
                    NDArray ours = t.positions();
                    if (theirs.size() != ours.size() || !theirs.contentEquals(ours)) {
                        throw new IllegalArgumentException(file + ": tensor '" + e.getKey() + "' holds " + theirs.size()
                                + " positions that differ from this tuner's selection of " + ours.size()
                                + " (different threshold or rule?)");
                    }
                }
            }
            for (SparseAdaptation t : tensors) {
                SparseAdapter.Entry e = adapter.entries().get(t.name());
                if (e == null) {
                    continue;
                }
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray flat = t.parameter().data().reshape(-1);
                    flat.set(new NDIndex("{}", t.positions()), t.originals().add(e.delta()));
                    NDArray current = SparseAdaptation.gather(t.parameter().data(), t.active());
                    t.values().stopGradient().set(new NDIndex(":"), current);
                }
                t.invalidate();
            }
        }
    }

    @Override
    protected String methodId() {
        return config.methodId();
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
        tensors.forEach(t -> out.put(t.name() + STATE_PREFIX, t.values()));
        return out;
    }

    @Override
    protected void stateTensors(Map<String, NDArray> out) {
        for (SparseAdaptation t : tensors) {
            out.put(t.name() + STATE_PREFIX + ".idx", t.compact(t.positions()));
            out.put(t.name() + STATE_PREFIX + ".active", t.compact(t.active()));
            out.put(t.name() + STATE_PREFIX + ".value", t.currentAtPositions());
        }
    }

    @Override
    protected StatePlan readState(TrainingState.Reader in) {
        Map<String, Shape> leaves = new LinkedHashMap<>();
        List<Runnable> loads = new ArrayList<>();
        for (SparseAdaptation t : tensors) {
            String key = t.name() + STATE_PREFIX;
            Shape m = new Shape(t.positions().size());
            in.require(key + ".idx", m, SafetensorsDType.I32, SafetensorsDType.I64);
            in.require(key + ".value", m, SafetensorsDType.F32);
            in.requireVector(key + ".active", SafetensorsDType.I32, SafetensorsDType.I64);
            long[] ours = t.positions().toLongArray();
            if (!Arrays.equals(in.loadPositions(key + ".idx", state), ours)) {
                throw new IllegalArgumentException(in.path() + ": tensor '" + key + ".idx' holds positions that differ from "
                        + "this tuner's selection of " + ours.length + " entries of '" + t.name() + "'");
            }
            long[] keep = TrainingState.offsetsOf(in.loadPositions(key + ".active", state), ours);
            if (keep == null) {
                throw new IllegalArgumentException(in.path() + ": tensor '" + key + ".active' must be a strictly ascending "
                        + "subset of '" + key + ".idx'");
            }
            leaves.put(key, new Shape(keep.length));
            NDArray keepOffsets = HostArrays.of(state, keep); // freed with the load's scope
            loads.add(() -> {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray flat = t.parameter().data().stopGradient().reshape(-1);
                    flat.set(new NDIndex("{}", t.positions()), in.load(key + ".value", state, DataType.FLOAT32));
                }
                optimizer.unregister(t.values());
                optimizer.register(t.activate(keepOffsets));
            });
        }
        return new StatePlan(leaves, () -> loads.forEach(Runnable::run));
    }

    @Override
    protected void afterStateLoaded() {
        progressive.restore(steps());
        stepGradients = Map.of();
    }

    /** The stored weights already hold the tuned values: merging only removes the adaptations. */
    @Override
    public void merge() {
        requireOpen();
        detachAll();
        markMerged();
    }

    @Override
    protected void detachAll() {
        tensors.forEach(SparseAdaptation::detach);
    }

    /** Number of tuned tensors. */
    public int tensorCount() {
        return tensors.size();
    }

    /** The per-tensor state, for tests in this package. */
    List<SparseAdaptation> tensors() {
        return tensors;
    }

    /** The optimizer, for tests in this package. */
    AdamW optimizer() {
        return optimizer;
    }
}
