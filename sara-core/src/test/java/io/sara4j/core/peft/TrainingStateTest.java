package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.nn.Parameter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resume property of every method: train N steps, {@code saveState}, attach the same method to
 * a fresh copy of the base model, {@code loadState}, train M more steps; the step reports, the model,
 * the adapter file and the final training state must be bit-identical to N + M uninterrupted steps.
 * Batches differ per step (input and target drawn from the step number), as in real training.
 */
class TrainingStateTest {
    private static final int TOTAL = 8;
    /** SaRA re-selects after this many steps. */
    private static final int RESELECT = 4;

    @TempDir
    Path dir;

    private NDManager manager;
    private Engine engine;

    @BeforeEach
    void setUp() {
        engine = Engines.pytorch();
        manager = engine.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** The conv + attention model of {@link MethodsConvergeTest}, the same weights for every call. */
    private MethodsConvergeTest.ConvAttention model() {
        MethodsConvergeTest.ConvAttention m = new MethodsConvergeTest.ConvAttention(manager);
        TinyModels.fill(m, 0.3, 7);
        return m;
    }

    /** Steps {@code from} (0-based) to {@code to} (exclusive), each on its own batch. */
    private List<StepReport> train(FineTuner tuner, MethodsConvergeTest.ConvAttention m, int from, int to) {
        List<StepReport> reports = new ArrayList<>();
        for (int i = from; i < to; i++) {
            try (NDManager step = manager.newSubManager(); GradientCollector gc = engine.newGradientCollector()) {
                NDArray x = TinyModels.input(step, 100 + i, 2, 3, 4, 4);
                NDArray target = TinyModels.input(step, 200 + i, 2, 3, 4, 4);
                reports.add(tuner.step(m.forward(x).sub(target).square().mean()));
            }
        }
        return reports;
    }

    /** Everything a run ends with: reports, stored weights, adapter file bytes, state file bytes. */
    private record Outcome(List<StepReport> reports, Map<String, float[]> weights, byte[] adapter, byte[] state) {}

    private Outcome finish(FineTuner tuner, MethodsConvergeTest.ConvAttention m, List<StepReport> reports, String tag)
            throws IOException {
        Path adapter = dir.resolve(tag + "-adapter.safetensors");
        Path state = dir.resolve(tag + "-final-state.safetensors");
        tuner.save(adapter);
        tuner.saveState(state);
        tuner.merge(); // LoRA's weights now hold W + s·B·A; the sparse methods' already held their values
        Map<String, float[]> weights = new LinkedHashMap<>();
        m.namedParameters().forEach((n, p) -> weights.put(n, p.data().toFloatArray()));
        return new Outcome(reports, weights, Files.readAllBytes(adapter), Files.readAllBytes(state));
    }

    private Outcome uninterrupted(Function<MethodsConvergeTest.ConvAttention, FineTuner> attach, boolean trainingMode)
            throws IOException {
        MethodsConvergeTest.ConvAttention m = model();
        m.setTraining(trainingMode);
        try (FineTuner tuner = attach.apply(m)) {
            return finish(tuner, m, train(tuner, m, 0, TOTAL), "straight");
        }
    }

    private Outcome resumed(Function<MethodsConvergeTest.ConvAttention, FineTuner> attach, boolean trainingMode, int n)
            throws IOException {
        Path state = dir.resolve("after-" + n + ".safetensors");
        List<StepReport> reports;
        MethodsConvergeTest.ConvAttention first = model();
        first.setTraining(trainingMode);
        try (FineTuner tuner = attach.apply(first)) {
            reports = new ArrayList<>(train(tuner, first, 0, n));
            tuner.saveState(state);
            train(tuner, first, n, n + 1); // the killed run went on a little; nothing of that is kept
        }
        MethodsConvergeTest.ConvAttention fresh = model();
        fresh.setTraining(trainingMode);
        try (FineTuner tuner = attach.apply(fresh)) {
            tuner.loadState(state);
            assertThat(tuner.steps()).isEqualTo(n);
            reports.addAll(train(tuner, fresh, n, TOTAL));
            return finish(tuner, fresh, reports, "resumed-" + n);
        }
    }

    private void assertResumesExactly(String method, Function<MethodsConvergeTest.ConvAttention, FineTuner> attach,
            boolean trainingMode, int... resumeAfter) throws IOException {
        Outcome straight = uninterrupted(attach, trainingMode);
        for (int n : resumeAfter) {
            Outcome resumed = resumed(attach, trainingMode, n);
            String what = method + " resumed after " + n + " steps";
            assertThat(resumed.reports()).as(what + ": step reports").isEqualTo(straight.reports());
            straight.weights().forEach((name, w) -> assertThat(resumed.weights().get(name)).as(what + ": " + name).containsExactly(w));
            assertThat(resumed.adapter()).as(what + ": adapter file").isEqualTo(straight.adapter());
            assertThat(resumed.state()).as(what + ": final state file").isEqualTo(straight.state());
        }
        // the run really trained: the reports change and the loss moved
        assertThat(straight.reports().get(TOTAL - 1).loss()).isNotEqualTo(straight.reports().get(0).loss());
    }

    /** SaRA with the penalty on one random eligible tensor per step (five are eligible) and re-selection at step 4. */
    private SaraConfig.Builder sara(SelectionRule rule) {
        return SaraConfig.builder().setSelection(rule).optLearningRate(2e-2).optTotalSteps(TOTAL)
                .optProgressiveIter(RESELECT).optRankMinDim(2).optRankIncludeConv(true).optRankLambda(1e-2).optSeed(3);
    }

    @Test
    void saraThresholdResumesBeforeAtAndAfterTheReselection() throws IOException {
        SaraConfig config = sara(new SelectionRule.Threshold(0.1)).build();
        // resume after 2 (re-selection happens after the resume), 4 (just done) and 6 (long done)
        assertResumesExactly("sara", m -> Sara.attach(m, config), false, 2, RESELECT, 6);
        MethodsConvergeTest.ConvAttention m = model();
        try (Sara sara = Sara.attach(m, config)) {
            long before = sara.trainableCount();
            train(sara, m, 0, RESELECT);
            assertThat(sara.trainableCount()).as("the re-selection froze some entries").isLessThan(before);
            assertThat(new NuclearNormPenalty(1, NuclearNormPenalty.Target.VALUES, false, true, 2, 3, sara.tensors()).eligible())
                    .hasSizeGreaterThan(1); // so the per-step layer draw matters
        }
    }

    @Test
    void saraFractionResumes() throws IOException {
        assertResumesExactly("sara fraction", m -> Sara.attach(m, sara(new SelectionRule.Fraction(0.3)).build()), false, 3, 5);
    }

    @Test
    void saraAblationsResume() throws IOException {
        SaraConfig config = sara(new SelectionRule.Threshold(0.1)).build();
        assertResumesExactly("random-sparse", m -> Sara.attachMatchingCount(m, config, "random"), false, 3);
        assertResumesExactly("largest-sparse", m -> Sara.attachMatchingCount(m, config, "largest"), false, 3);
    }

    @Test
    void loraWithInputDropoutResumes() throws IOException {
        LoraConfig config = LoraConfig.rank(2).withAlpha(4).withDropout(0.3).withSeed(5)
                .withTargets(List.of("to_q", "to_k", "to_v", "to_out.0", "conv_in"))
                .withOptimizer(OptimizerConfig.defaults().withLearningRate(2e-2).withTotalSteps(TOTAL));
        assertResumesExactly("lora", m -> Lora.attach(m, config), true, 3);
    }

    @Test
    void fullAndMaskedDenseResume() throws IOException {
        OptimizerConfig optimizer = OptimizerConfig.defaults().withLearningRate(1e-2).withTotalSteps(TOTAL).withMaxGradNorm(1.0);
        assertResumesExactly("full", m -> FullFineTune.attach(m, NameFilter.all(), optimizer), false, 3);
        assertResumesExactly("masked-dense", m -> MaskedDenseFineTune.attach(m, sara(new SelectionRule.Threshold(0.1)).build()),
                false, 3);
    }

    @Test
    void aTensorWhoseEntriesAllLeftTheActiveSetRoundTrips() throws IOException {
        // loss = Σ W: every entry of the small weight moves by ~lr per step and crosses θ by step 2
        SaraConfig config = SaraConfig.builder().setThreshold(0.05).optLearningRate(0.04).optWeightDecay(0).optRankLambda(0)
                .optProgressiveIter(2).build();
        Path file = dir.resolve("empty.safetensors");
        List<StepReport> straight = new ArrayList<>();
        List<StepReport> resumed = new ArrayList<>();
        float[] expected;
        Linear l = tinyLinear();
        try (Sara sara = Sara.attach(l, config)) {
            straight.addAll(linearSteps(sara, l, 2));
            assertThat(sara.trainableCount()).isZero();
            sara.saveState(file);
            straight.addAll(linearSteps(sara, l, 1));
            expected = l.weight().data().toFloatArray();
        }
        Linear fresh = tinyLinear();
        try (Sara sara = Sara.attach(fresh, config)) {
            sara.loadState(file);
            assertThat(sara.trainableCount()).isZero();
            resumed.addAll(linearSteps(sara, fresh, 1));
            assertThat(fresh.weight().data().toFloatArray()).containsExactly(expected);
        }
        assertThat(resumed).containsExactly(straight.get(2));
    }

    private Linear tinyLinear() {
        Linear l = new Linear(manager, 4, 3, false);
        l.weight().copyFrom(manager.full(new Shape(3, 4), 0.01f));
        return l;
    }

    private List<StepReport> linearSteps(Sara sara, Linear l, int n) {
        List<StepReport> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try (NDManager step = manager.newSubManager(); GradientCollector gc = engine.newGradientCollector()) {
                out.add(sara.step(l.forward(step.eye(4)).sum()));
            }
        }
        return out;
    }

    // --- refusals -----------------------------------------------------------------------------

    /** A SaRA state after 5 steps (past the re-selection), written to {@code sara-state.safetensors}. */
    private Path saraState(SaraConfig config) {
        Path file = dir.resolve("sara-state.safetensors");
        MethodsConvergeTest.ConvAttention m = model();
        try (Sara sara = Sara.attach(m, config)) {
            train(sara, m, 0, 5);
            sara.saveState(file);
        }
        return file;
    }

    /** A copy of {@code file} with its tensors passed through {@code edit} (metadata unchanged). */
    private Path rewrite(Path file, String name, UnaryOperator<Map<String, NDArray>> edit) throws IOException {
        Path out = dir.resolve(name);
        try (SafetensorsFile f = SafetensorsFile.open(file); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            SafetensorsWriter.write(out, edit.apply(new LinkedHashMap<>(f.loadAll(manager, null))), f.metadata());
        }
        return out;
    }

    @Test
    void aStateThatDoesNotFitIsRefusedNamingWhatDiffers() throws IOException {
        SaraConfig config = sara(new SelectionRule.Threshold(0.1)).build();
        Path file = saraState(config);
        MethodsConvergeTest.ConvAttention m = model();

        try (Lora lora = Lora.attach(m, LoraConfig.rank(2))) {
            assertThatThrownBy(() -> lora.loadState(file)).hasMessageContaining("\"method\" is 'sara', this tuner is 'lora'");
        }
        try (Sara other = Sara.attach(m, config.toBuilder().optLearningRate(1e-2).optRankAllLayers(true).build())) {
            assertThatThrownBy(() -> other.loadState(file)).hasMessageContaining("different configuration")
                    .hasMessageContaining("'optimizer.learning_rate' is 0.02 in the file, 0.01 here")
                    .hasMessageContaining("'rank_layers' is \"one-random\" in the file, \"all\" here");
        }
        MethodsConvergeTest.ConvAttention otherBase = new MethodsConvergeTest.ConvAttention(manager);
        TinyModels.fill(otherBase, 0.3, 8);
        try (Sara sara = Sara.attach(otherBase, config)) {
            assertThatThrownBy(() -> sara.loadState(file)).hasMessageContaining("base_fingerprint")
                    .hasMessageContaining("conv_in.weight: trained on different base values");
        }
        try (Sara sara = Sara.attach(m, config)) {
            Path adapter = dir.resolve("adapter.safetensors");
            sara.save(adapter);
            assertThatThrownBy(() -> sara.loadState(adapter)).hasMessageContaining("this is an adapter file");
        }
    }

    @Test
    void aTamperedStateIsRefusedNamingTheTensorAndChangesNothing() throws IOException {
        SaraConfig config = sara(new SelectionRule.Threshold(0.1)).build();
        Path file = saraState(config);
        String value = "attn1.to_q.weight.sara.value";
        Path wrongShape = rewrite(file, "shape.safetensors", t -> {
            t.put(value, t.get(value).get("1:"));
            return t;
        });
        Path missing = rewrite(file, "missing.safetensors", t -> {
            t.remove("attn1.to_k.weight.sara.exp_avg_sq");
            return t;
        });
        Path extra = rewrite(file, "extra.safetensors", t -> {
            t.put("attn1.to_k.weight.sara.surprise", manager.zeros(new Shape(3)));
            return t;
        });
        Path notSubset = rewrite(file, "subset.safetensors", t -> {
            NDArray active = t.get("attn1.to_v.weight.sara.active");
            t.put("attn1.to_v.weight.sara.active", active.flip(0)); // descending
            return t;
        });
        MethodsConvergeTest.ConvAttention m = model();
        try (Sara sara = Sara.attach(m, config)) {
            Map<String, float[]> before = new LinkedHashMap<>();
            m.namedParameters().forEach((n, p) -> before.put(n, p.data().toFloatArray()));
            long trainable = sara.trainableCount();

            assertThatThrownBy(() -> sara.loadState(wrongShape)).hasMessageContaining("tensor '" + value + "' has shape");
            assertThatThrownBy(() -> sara.loadState(missing)).hasMessageContaining("lacks tensor 'attn1.to_k.weight.sara.exp_avg_sq'");
            assertThatThrownBy(() -> sara.loadState(extra)).hasMessageContaining("attn1.to_k.weight.sara.surprise");
            assertThatThrownBy(() -> sara.loadState(notSubset))
                    .hasMessageContaining("'attn1.to_v.weight.sara.active' must be a strictly ascending subset");

            assertThat(sara.steps()).isZero();
            assertThat(sara.trainableCount()).isEqualTo(trainable);
            for (Map.Entry<String, Parameter> e : m.namedParameters().entrySet()) {
                assertThat(e.getValue().data().toFloatArray()).as(e.getKey()).containsExactly(before.get(e.getKey()));
            }
            sara.loadState(file); // the intact file still loads
            assertThat(sara.steps()).isEqualTo(5);
            assertThat(sara.trainableCount()).isLessThan(trainable);
        }
    }

    @Test
    void loraRankMismatchNamesTheFactor() throws IOException {
        LoraConfig config = LoraConfig.rank(2).withTargets(List.of("to_q"));
        Path file = dir.resolve("lora-state.safetensors");
        MethodsConvergeTest.ConvAttention m = model();
        try (Lora lora = Lora.attach(m, config)) {
            lora.saveState(file);
        }
        Path wider = rewrite(file, "wider.safetensors", t -> {
            t.put("attn1.to_q.lora_A.weight", manager.zeros(new Shape(3, 16)));
            return t;
        });
        try (Lora lora = Lora.attach(model(), config)) {
            assertThatThrownBy(() -> lora.loadState(wider))
                    .hasMessageContaining("tensor 'attn1.to_q.lora_A.weight' has shape [3, 16], this tuner needs [2, 16]");
        }
        try (Lora lora = Lora.attach(model(), config.withRank(3))) {
            assertThatThrownBy(() -> lora.loadState(file)).hasMessageContaining("'rank' is 2 in the file, 3 here");
        }
    }

    @Test
    void configDifferencesAreListedByDottedPath() {
        Path file = Path.of("x.safetensors");
        assertThat(TrainingState.configDifferences("{\"a\":1e-3,\"b\":{\"c\":[1,2]}}", "{\"a\":0.001,\"b\":{\"c\":[1,3]}}", file))
                .containsExactly("'b.c[1]' is 2 in the file, 3 here");
        assertThat(TrainingState.configDifferences("{\"a\":1}", "{\"b\":1}", file))
                .containsExactly("'a' is 1 in the file, absent here", "'b' is absent in the file, 1 here");
        assertThat(TrainingState.offsetsOf(new long[] {3, 9}, new long[] {1, 3, 5, 9})).containsExactly(1, 3);
        assertThat(TrainingState.offsetsOf(new long[] {9, 3}, new long[] {1, 3, 5, 9})).isNull();
        assertThat(TrainingState.offsetsOf(new long[] {4}, new long[] {1, 3, 5, 9})).isNull();
    }
}
