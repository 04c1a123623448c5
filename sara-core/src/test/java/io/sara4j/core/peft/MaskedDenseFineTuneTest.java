package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaskedDenseFineTuneTest {
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

    private final SaraConfig config = SaraConfig.builder().setThreshold(0.05).optLearningRate(5e-3).optWeightDecay(0.1)
            .optRankLambda(0).optProgressiveIter(0).build();

    @Test
    void followsTheSameTrajectoryAsSaraWithFullSizeState() {
        TinyModels.Mlp sparse = TinyModels.mlp(manager, 6, 8, 4, 0.1, 1);
        TinyModels.Mlp dense = TinyModels.mlp(manager, 6, 8, 4, 0.1, 1);
        NDArray x = TinyModels.input(manager, 2, 5, 6);
        try (Sara sara = Sara.attach(sparse, config); MaskedDenseFineTune masked = MaskedDenseFineTune.attach(dense, config)) {
            assertThat(masked.trainableCount()).isEqualTo(sara.trainableCount());
            for (int i = 0; i < 10; i++) {
                try (GradientCollector gc = engine.newGradientCollector()) {
                    sara.step(sparse.forward(x).sub(0.5f).square().mean());
                }
                try (GradientCollector gc = engine.newGradientCollector()) {
                    masked.step(dense.forward(x).sub(0.5f).square().mean());
                }
            }
            dense.namedParameters().forEach((n, p) -> assertThat(
                    Tensors.maxRelativeError(Tensors.toDoubles(p.data()), Tensors.toDoubles(sparse.namedParameters().get(n).data())))
                    .as(n).isLessThan(1e-5));
            // full-size gradient, two moments and mask per weight, plus positions and originals per trained value
            long n = dense.parameterCount();
            long k = masked.trainableCount();
            assertThat(masked.stateBytes()).isEqualTo(16 * n + 8 * k);
            assertThat(masked.stateBytes()).isGreaterThan(sara.stateBytes());

            Path file = dir.resolve("m.safetensors");
            masked.save(file);
            try (SparseAdapter a = SparseAdapter.read(file, manager)) {
                assertThat(a.method()).isEqualTo("masked-dense");
                assertThat(a.count()).isEqualTo(k);
                for (SparseAdaptation t : sara.tensors()) {
                    assertThat(a.entries().get(t.name()).positions().toType(DataType.INT64, false).toLongArray())
                            .containsExactly(t.positions().toType(DataType.INT64, false).toLongArray());
                }
                TinyModels.Mlp fresh = TinyModels.mlp(manager, 6, 8, 4, 0.1, 1);
                a.applyTo(fresh);
                assertThat(fresh.forward(x).toFloatArray()).containsExactly(dense.forward(x).toFloatArray());
            }
        }
    }

    @Test
    void entriesOutsideTheMaskNeverMove() {
        TinyModels.Mlp net = TinyModels.mlp(manager, 6, 8, 4, 0.1, 3);
        TinyModels.Mlp before = TinyModels.mlp(manager, 6, 8, 4, 0.1, 3);
        NDArray x = TinyModels.input(manager, 4, 5, 6);
        try (MaskedDenseFineTune masked = MaskedDenseFineTune.attach(net, config)) {
            for (int i = 0; i < 20; i++) {
                try (GradientCollector gc = engine.newGradientCollector()) {
                    masked.step(net.forward(x).sub(0.5f).square().mean());
                }
            }
        }
        before.namedParameters().forEach((n, p) -> {
            float[] was = p.data().toFloatArray();
            float[] now = net.namedParameters().get(n).data().toFloatArray();
            for (int i = 0; i < was.length; i++) {
                if (Math.abs(was[i]) >= 0.05f) {
                    assertThat(now[i]).as(n + "[" + i + "]").isEqualTo(was[i]);
                }
            }
        });
    }
}
