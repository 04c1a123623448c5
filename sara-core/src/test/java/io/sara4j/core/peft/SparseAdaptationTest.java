package io.sara4j.core.peft;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Autograd;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.testing.Tensors;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

class SparseAdaptationTest {
    private static final double THETA = 0.05;
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

    private SaraConfig config() {
        return SaraConfig.builder().setThreshold(THETA).optRankLambda(0).optLearningRate(1e-2).build();
    }

    @Test
    void gradientOfTrainableValuesEqualsDenseGradientAtMask() {
        TinyModels.Mlp dense = TinyModels.mlp(manager, 6, 9, 4, 0.2, 1);
        TinyModels.Mlp sparse = TinyModels.mlp(manager, 6, 9, 4, 0.2, 1);
        NDArray x = TinyModels.input(manager, 2, 5, 6);
        NDArray y = TinyModels.input(manager, 3, 5, 4);

        // reference: full fine-tuning gradient of the same loss
        dense.namedParameters().values().forEach(p -> p.data().setRequiresGradient(true));
        try (GradientCollector gc = engine.newGradientCollector()) {
            gc.backward(dense.forward(x).sub(y).square().mean());
        }

        try (Sara sara = Sara.attach(sparse, config())) {
            try (GradientCollector gc = engine.newGradientCollector()) {
                NDArray loss = sparse.forward(x).sub(y).square().mean();
                Autograd.backward(loss);
            }
            Map<String, Parameter> denseParams = dense.namedParameters();
            assertThat(sara.tensors()).hasSize(4);
            for (SparseAdaptation t : sara.tensors()) {
                NDArray denseGrad = denseParams.get(t.name()).data().getGradient();
                double[] expected = Tensors.toDoubles(SparseAdaptation.gather(denseGrad, t.positions()));
                double[] actual = Tensors.toDoubles(Autograd.gradient(t.values()));
                assertThat(actual).hasSize(expected.length);
                for (int i = 0; i < expected.length; i++) {
                    assertThat(Math.abs(actual[i] - expected[i])).as(t.name() + "[" + i + "]").isLessThan(1e-6);
                }
                // the frozen stored tensor has no gradient buffer and does not require one
                assertThat(Autograd.hasGradientBuffer(t.parameter().data())).isFalse();
                assertThat(t.parameter().data().hasGradient()).isFalse();
            }
        }
    }

    @Test
    void storedTensorNeverGetsAGradientAndHoldsTheTrainedValues() {
        TinyModels.Mlp net = TinyModels.mlp(manager, 4, 8, 3, 0.2, 7);
        NDArray x = TinyModels.input(manager, 8, 6, 4);
        try (Sara sara = Sara.attach(net, config())) {
            for (int step = 0; step < 5; step++) {
                try (GradientCollector gc = engine.newGradientCollector()) {
                    sara.step(net.forward(x).square().mean());
                }
                for (SparseAdaptation t : sara.tensors()) {
                    assertThat(Autograd.hasGradientBuffer(t.parameter().data())).as(t.name()).isFalse();
                    double[] stored = Tensors.toDoubles(SparseAdaptation.gather(t.parameter().data(), t.active()));
                    assertThat(stored).as(t.name()).containsExactly(Tensors.toDoubles(t.values()));
                }
            }
        }
    }

    @Test
    void weightUsedTwiceInOneForwardIsBuiltOnce() {
        TinyModels.Mlp net = TinyModels.mlp(manager, 4, 4, 4, 0.2, 3);
        NDArray x = TinyModels.input(manager, 4, 2, 4);
        try (Sara sara = Sara.attach(net, config())) {
            try (GradientCollector gc = engine.newGradientCollector()) {
                // fc2 applied twice: a second in-place write into the same storage would break backward
                NDArray h = net.fc2.forward(net.fc2.forward(x));
                sara.step(h.square().sum());
            }
            assertThat(sara.steps()).isEqualTo(1);
        }
    }

    @Test
    void unrecordedForwardUsesTheStoredTensorDirectly() {
        TinyModels.Mlp net = TinyModels.mlp(manager, 4, 4, 4, 0.2, 3);
        try (Sara sara = Sara.attach(net, config())) {
            Parameter w = net.fc1.weight();
            assertThat(w.value()).isSameAs(w.data());
            assertThat(sara.trainableCount()).isPositive();
        }
    }
}
