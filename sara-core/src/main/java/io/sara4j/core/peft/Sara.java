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
import java.util.function.Supplier;
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
public final class Sara extends SparseTuner {
    private static final Logger LOG = LoggerFactory.getLogger(Sara.class);
    /** Infix of the state-file tensors of a tuned tensor: {@code <name>.sara.idx}, ... */
    private static final String STATE_PREFIX = ".sara";

    private final SaraConfig config;
    private final List<SparseAdaptation> tensors;
    private final Map<String, SparseAdaptation> byName = new LinkedHashMap<>(); // the same tensors, to look up adapter entries
    private final NuclearNormPenalty penalty;
    private final ProgressiveReselection progressive;
    private final double threshold;
    private final long selectedCount;
    private Map<SparseAdaptation, NDArray> stepGradients = Map.of();

    private Sara(NDManager state, SaraConfig config, SparseSelection selection, Map<String, Parameter> params) {
        super(state, config.optimizer(), config.optimizer().schedule(config.learningRate(selection.threshold())),
                config.methodId(), config.toJson(), TunedParameters.storedTensors(params, selection.indices().keySet()));
        this.config = config;
        this.threshold = selection.threshold();
        this.selectedCount = selection.count();
        this.tensors = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : selection.indices().entrySet()) {
            Parameter p = params.get(e.getKey());
            SparseAdaptation t = new SparseAdaptation(e.getKey(), p, e.getValue(), state);
            p.setAdaptation(t);
            optimizer.register(t.values());
            tensors.add(t);
            byName.put(t.name(), t);
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
        Map<String, Parameter> params = TunedParameters.select(module, config.targets());
        NDManager state = TunedParameters.stateManager(params);
        SparseSelection selection = config.selection().select(TunedParameters.storedTensors(params), state);
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
        Map<String, Parameter> params = TunedParameters.select(module, config.targets());
        long count;
        try (NDManager scratch = TunedParameters.stateManager(params)) {
            count = config.selection().select(TunedParameters.storedTensors(params), scratch).count();
        }
        SelectionRule matched = switch (rule) {
            case "random" -> new SelectionRule.RandomEntries(count, config.seed());
            case "largest" -> new SelectionRule.LargestMagnitude(count);
            default -> throw new IllegalArgumentException("unsupported value '" + rule + "' for rule (supported: random, largest)");
        };
        return attach(module, config.toBuilder().setSelection(matched).build());
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
    @Override
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
    protected long ownStateBytes() {
        return tensors.stream().mapToLong(SparseAdaptation::stateBytes).sum();
    }

    /**
     * The trained change: for each tuned tensor, every position ever trained (so also those frozen
     * by re-selection) and ΔP = P_current − P0 there, read from the stored weights.
     */
    @Override
    protected Map<String, Supplier<SparseAdapter.Entry>> adapterEntries() {
        Map<String, Supplier<SparseAdapter.Entry>> out = new LinkedHashMap<>();
        tensors.forEach(t -> out.put(t.name(), () ->
                new SparseAdapter.Entry(t.compact(t.positions()), t.currentAtPositions().subi(t.originals()))));
        return out;
    }

    /** Saves with deltas in {@code deltaType} (F32, F16 or BF16). */
    public void save(Path file, SafetensorsDType deltaType) {
        writeAdapter(file, deltaType);
    }

    /** Every tensor of the adapter must hold this tuner's selection M; checked before any value changes. */
    @Override
    protected void checkAdapter(SparseAdapter adapter, Path file) {
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
    }

    /** The stored values at every position ever trained (M), per tensor: fixed shapes for the whole run. */
    @Override
    protected Map<String, NDArray> trainedValues() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        tensors.forEach(t -> out.put(t.name(), t.currentAtPositions()));
        return out;
    }

    @Override
    protected void setTrainedValues(Map<String, NDArray> values) {
        tensors.forEach(t -> t.setAtPositions(values.get(t.name())));
    }

    @Override
    protected void afterBackwardOnly() {
        tensors.forEach(SparseAdaptation::invalidate); // the next forward must record a fresh link to v
    }

    /** P = P0 + ΔP at M; the trainable values (the active entries) follow. */
    @Override
    protected void applyEntry(String name, SparseAdapter.Entry entry, Path file) {
        SparseAdaptation t = byName.get(name);
        NDArray flat = t.parameter().data().reshape(-1);
        flat.set(new NDIndex("{}", t.positions()), t.originals().add(entry.delta()));
        NDArray current = SparseAdaptation.gather(t.parameter().data(), t.active());
        t.values().stopGradient().set(new NDIndex(":"), current);
        t.invalidate();
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
