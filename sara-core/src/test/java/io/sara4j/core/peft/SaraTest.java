package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.nn.Module;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SaraTest {
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

    private void steps(Sara sara, TinyModels.Mlp net, NDArray x, int n) {
        for (int i = 0; i < n; i++) {
            try (GradientCollector gc = engine.newGradientCollector()) {
                sara.step(net.forward(x).sub(0.3f).square().mean());
            }
        }
    }

    /** Bytes of every array the tuner's manager tree holds (gradient buffers are engine-side, not listed). */
    private static long heldBytes(Sara sara) {
        return sara.state.getManagedArrays().stream().filter(a -> !a.isReleased())
                .mapToLong(a -> a.size() * a.getDataType().getNumOfBytes()).sum();
    }

    @Test
    void stateBytesIsLinearInTheTrainableCountAndMatchesTheArraysHeld() {
        NDArray x = TinyModels.input(manager, 1, 4, 8);
        long[] counts = new long[3];
        long[] bytes = new long[3];
        double[] thetas = {0.01, 0.03, 0.06};
        for (int i = 0; i < 3; i++) {
            TinyModels.Mlp net = TinyModels.mlp(manager, 8, 16, 8, 0.1, 3);
            try (Sara sara = Sara.attach(net, SaraConfig.builder().setThreshold(thetas[i]).optRankLambda(0).build())) {
                // the gradient buffers are allocated with the rest of the state, before any step
                assertThat(sara.stateBytes()).isEqualTo(28 * sara.trainableCount());
                steps(sara, net, x, 1);
                counts[i] = sara.trainableCount();
                bytes[i] = sara.stateBytes();
                // int64 position + original + v + gradient + two moments, 4 bytes each
                assertThat(bytes[i]).isEqualTo(28 * counts[i]);
                assertThat(bytes[i]).isEqualTo(heldBytes(sara) + 4 * counts[i]); // + the engine-side gradients
            }
        }
        assertThat(counts[0]).isLessThan(counts[1]).isLessThan(counts[2]);
    }

    @Test
    void stateBytesDoesNotGrowWithTheFrozenPartOfTheModel() {
        NDArray x = TinyModels.input(manager, 1, 4, 8);
        TinyModels.Mlp small = TinyModels.mlp(manager, 8, 8, 8, 0.1, 5);
        TinyModels.Mlp big = TinyModels.mlp(manager, 8, 8, 8, 0.1, 5);
        Linear frozen = new Linear(manager, 256, 256, true); // 65k more weights, all far above θ
        frozen.weight().copyFrom(manager.full(frozen.weight().shape(), 1f));
        frozen.bias().copyFrom(manager.full(frozen.bias().shape(), 1f));
        Module wrapper = new Module() {
            {
                registerModule("mlp", big);
                registerModule("frozen", frozen);
            }
        };
        SaraConfig config = SaraConfig.builder().setThreshold(0.03).optRankLambda(0).build();
        try (Sara a = Sara.attach(small, config); Sara b = Sara.attach(wrapper, config)) {
            steps(a, small, x, 1);
            steps(b, big, x, 1);
            assertThat(b.trainableCount()).isEqualTo(a.trainableCount());
            assertThat(b.stateBytes()).isEqualTo(a.stateBytes());
        }
    }

    @Test
    void aLongLoopHoldsFlatMemory() {
        TinyModels.Mlp net = TinyModels.mlp(manager, 8, 16, 8, 0.1, 9);
        SaraConfig config = SaraConfig.builder().setThreshold(0.05).optLearningRate(1e-3).optRankMinDim(4)
                .optTotalSteps(300).build(); // rank penalty and re-selection included
        try (NDManager data = engine.newBaseManager(); Sara sara = Sara.attach(net, config)) {
            long[] modelArrays = new long[2];
            long[] stateArrays = new long[2];
            for (int i = 0; i < 300; i++) {
                // the training loop of the design: one sub-manager per step, no NDScope
                try (NDManager step = data.newSubManager(); GradientCollector gc = engine.newGradientCollector()) {
                    NDArray x = TinyModels.input(step, i, 4, 8);
                    sara.step(net.forward(x).sub(0.3f).square().mean());
                }
                if (i == 199) {
                    modelArrays[0] = manager.getManagedArrays().size();
                    stateArrays[0] = sara.state.getManagedArrays().size();
                }
            }
            modelArrays[1] = manager.getManagedArrays().size();
            stateArrays[1] = sara.state.getManagedArrays().size();
            assertThat(modelArrays[1]).isEqualTo(modelArrays[0]);
            assertThat(stateArrays[1]).isEqualTo(stateArrays[0]);
            // the same with an NDScope around each step
            for (int i = 0; i < 50; i++) {
                try (NDScope scope = new NDScope(); GradientCollector gc = engine.newGradientCollector()) {
                    scope.suppressNotUsedWarning();
                    NDArray x = TinyModels.input(data, i, 4, 8);
                    sara.step(net.forward(x).sub(0.3f).square().mean());
                }
            }
            assertThat(manager.getManagedArrays().size()).isEqualTo(modelArrays[0]);
            assertThat(sara.state.getManagedArrays().size()).isEqualTo(stateArrays[0]);
            assertThat(data.getManagedArrays()).isEmpty();
        }
    }

    @Test
    void tunersAndAdaptersOutliveAScopeTheyWereCreatedIn() {
        TinyModels.Mlp net = TinyModels.mlp(manager, 8, 8, 8, 0.1, 5);
        NDArray x = TinyModels.input(manager, 1, 4, 8);
        Path file = dir.resolve("a.safetensors");
        Sara sara;
        FullFineTune full;
        TinyModels.Mlp other = TinyModels.mlp(manager, 8, 8, 8, 0.1, 5);
        SparseAdapter adapter;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            sara = Sara.attach(net, SaraConfig.builder().setSelection(new SelectionRule.RandomEntries(30, 1))
                    .optLearningRate(1e-2).build());
            full = FullFineTune.attach(other, NameFilter.all(), OptimizerConfig.defaults());
            steps(sara, net, x, 1);
            sara.save(file);
            adapter = SparseAdapter.read(file, manager);
        }
        try (sara; full; adapter) {
            steps(sara, net, x, 2);
            try (GradientCollector gc = engine.newGradientCollector()) {
                full.step(other.forward(x).square().mean());
            }
            assertThat(adapter.count()).isEqualTo(30);
            assertThat(adapter.entries().values()).allSatisfy(e -> assertThat(e.delta().isReleased()).isFalse());
        }
    }

    @Test
    void defaultsFollowThePaper() {
        SaraConfig c = SaraConfig.threshold(2e-3);
        assertThat(c.learningRate(2e-3)).isCloseTo(4.966e-4, within(1e-7));
        assertThat(c.optimizer().beta1()).isEqualTo(0.9);
        assertThat(c.optimizer().beta2()).isEqualTo(0.999);
        assertThat(c.optimizer().eps()).isEqualTo(1e-8);
        assertThat(c.optimizer().weightDecay()).isEqualTo(1e-2);
        assertThat(c.rankLambda()).isEqualTo(5e-4);
        assertThat(c.rankMinDim()).isEqualTo(64);
        assertThat(c.rankAllLayers()).isFalse();
        assertThat(c.toBuilder().optLearningRate(1e-4).build().learningRate(2e-3)).isEqualTo(1e-4);
        assertThatThrownBy(() -> SaraConfig.builder().build()).hasMessageContaining("selection is required");
        assertThatThrownBy(() -> SaraConfig.builder().setThreshold(1e-3).optRankLambda(-1).build()).hasMessageContaining("rankLambda");
    }

    @Test
    void targetsFollowIncludeAndExcludeGlobs() {
        TinyModels.Mlp net = TinyModels.mlp(manager, 8, 8, 8, 0.1, 5);
        try (Sara sara = Sara.attach(net, SaraConfig.builder().setThreshold(0.05).optExclude("*.bias").build())) {
            assertThat(sara.tensors()).extracting(SparseAdaptation::name).containsExactly("fc1.weight", "fc2.weight");
            assertThat(net.fc1.bias().adaptation()).isNull();
        }
        try (Sara sara = Sara.attach(net, SaraConfig.builder().setThreshold(0.05).optInclude("fc2.*").build())) {
            assertThat(sara.tensors()).extracting(SparseAdaptation::name).containsExactly("fc2.weight", "fc2.bias");
        }
        assertThatThrownBy(() -> Sara.attach(net, SaraConfig.builder().setThreshold(0.05).optInclude("nothing.*").build()))
                .hasMessageContaining("no parameter").hasMessageContaining("nothing.*");
    }

    @Test
    void misuseIsReportedClearly() {
        TinyModels.Mlp net = TinyModels.mlp(manager, 8, 8, 8, 0.1, 5);
        NDArray x = TinyModels.input(manager, 1, 2, 8);
        try (Sara sara = Sara.attach(net, SaraConfig.threshold(0.05))) {
            assertThatThrownBy(() -> Sara.attach(net, SaraConfig.threshold(0.05))).hasMessageContaining("already has an adaptation");
            assertThatThrownBy(() -> sara.step(net.forward(x).sum())).hasMessageContaining("GradientCollector");
            sara.merge();
            assertThat(net.fc1.weight().adaptation()).isNull();
            assertThatThrownBy(() -> steps(sara, net, x, 1)).hasMessageContaining("merged");
            sara.save(dir.resolve("after-merge.safetensors")); // still possible
        }
    }

    @Test
    void loadPutsSavedValuesBackIntoAFreshTuner() {
        NDArray x = TinyModels.input(manager, 1, 4, 8);
        TinyModels.Mlp net = TinyModels.mlp(manager, 8, 8, 8, 0.1, 5);
        SaraConfig config = SaraConfig.builder().setThreshold(0.05).optLearningRate(1e-2).build();
        Path file = dir.resolve("a.safetensors");
        float[] tuned;
        try (Sara sara = Sara.attach(net, config)) {
            steps(sara, net, x, 5);
            sara.save(file);
            tuned = net.forward(x).toFloatArray();
        }
        TinyModels.Mlp fresh = TinyModels.mlp(manager, 8, 8, 8, 0.1, 5);
        try (Sara sara = Sara.attach(fresh, config)) {
            sara.load(file);
            assertThat(fresh.forward(x).toFloatArray()).containsExactly(tuned);
            for (SparseAdaptation t : sara.tensors()) {
                assertThat(t.values().toFloatArray())
                        .containsExactly(SparseAdaptation.gather(t.parameter().data(), t.active()).toFloatArray());
            }
            steps(sara, fresh, x, 1); // and training continues
        }
        TinyModels.Mlp other = TinyModels.mlp(manager, 8, 8, 8, 0.1, 6);
        try (Sara sara = Sara.attach(other, config)) {
            assertThatThrownBy(() -> sara.load(file)).hasMessageContaining("fc1.weight").hasMessageContaining("different base");
        }
    }

    @Test
    void ablationsTrainTheSameCountAsSara() {
        TinyModels.Mlp net = TinyModels.mlp(manager, 8, 16, 8, 0.1, 5);
        SaraConfig config = SaraConfig.builder().setThreshold(0.03).build();
        long count;
        try (Sara sara = Sara.attach(net, config)) {
            count = sara.trainableCount();
        }
        for (String rule : new String[] {"random", "largest"}) {
            try (Sara ablation = Sara.attachMatchingCount(net, config, rule)) {
                assertThat(ablation.trainableCount()).as(rule).isEqualTo(count);
                assertThat(ablation.config().methodId()).isEqualTo(rule + "-sparse");
            }
        }
    }
}
