package io.sara4j.core.peft;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Autograd;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.testing.Tensors;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;

class FullFineTuneTest {
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

    @Test
    void firstStepIsSignDescentAtTheLearningRateAndDecayIsDecoupled() {
        // at t = 1 AdamW moves every entry by lr·g/(|g| + eps·…) ≈ lr·sign(g), after shrinking by (1 − lr·wd)
        TinyModels.Mlp net = TinyModels.mlp(manager, 4, 6, 3, 0.3, 1);
        TinyModels.Mlp twin = TinyModels.mlp(manager, 4, 6, 3, 0.3, 1);
        NDArray x = TinyModels.input(manager, 2, 5, 4);
        twin.namedParameters().values().forEach(p -> p.data().setRequiresGradient(true));
        try (GradientCollector gc = engine.newGradientCollector()) {
            gc.backward(twin.forward(x).square().mean());
        }
        double lr = 1e-2;
        double wd = 0.1;
        Map<String, double[]> before = new LinkedHashMap<>();
        net.namedParameters().forEach((n, p) -> before.put(n, Tensors.toDoubles(p.data())));
        try (FullFineTune full = FullFineTune.attach(net, NameFilter.all(),
                OptimizerConfig.defaults().withLearningRate(lr).withWeightDecay(wd))) {
            try (GradientCollector gc = engine.newGradientCollector()) {
                full.step(net.forward(x).square().mean());
            }
            assertThat(full.trainableCount()).isEqualTo(net.parameterCount());
            assertThat(full.stateBytes()).isEqualTo(16 * net.parameterCount()); // grad, m, s, original
            Map<String, Parameter> twinParams = twin.namedParameters();
            net.namedParameters().forEach((n, p) -> {
                double[] g = Tensors.toDoubles(twinParams.get(n).data().getGradient());
                double[] p0 = before.get(n);
                double[] expected = new double[g.length];
                for (int i = 0; i < g.length; i++) {
                    double mHat = g[i];
                    double sHat = g[i] * g[i];
                    expected[i] = p0[i] * (1 - lr * wd) - lr * mHat / (Math.sqrt(sHat) + 1e-8);
                }
                assertThat(Tensors.maxRelativeError(Tensors.toDoubles(p.data()), expected)).as(n).isLessThan(1e-6);
            });
        }
    }

    @Test
    void adapterReproducesTheTunedModelAndMergeDropsGradients() {
        TinyModels.Mlp net = TinyModels.mlp(manager, 4, 6, 3, 0.3, 3);
        NDArray x = TinyModels.input(manager, 4, 5, 4);
        Path file = dir.resolve("full.safetensors");
        try (FullFineTune full = FullFineTune.attach(net, NameFilter.all(), OptimizerConfig.defaults().withLearningRate(1e-2))) {
            for (int i = 0; i < 5; i++) {
                try (GradientCollector gc = engine.newGradientCollector()) {
                    full.step(net.forward(x).sub(1).square().mean());
                }
            }
            full.save(file);
            full.merge();
        }
        net.namedParameters().values().forEach(p -> assertThat(Autograd.hasGradientBuffer(p.data())).isFalse());
        try (SparseAdapter a = SparseAdapter.read(file, manager)) {
            assertThat(a.method()).isEqualTo("full");
            assertThat(a.count()).isEqualTo(net.parameterCount()); // every entry moved
            TinyModels.Mlp fresh = TinyModels.mlp(manager, 4, 6, 3, 0.3, 3);
            a.applyTo(fresh);
            assertThat(fresh.forward(x).toFloatArray()).containsExactly(net.forward(x).toFloatArray());
        }
    }
}
