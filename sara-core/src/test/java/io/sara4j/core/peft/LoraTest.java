package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Attention;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.Module;
import io.sara4j.core.testing.Tensors;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraTest {
    @TempDir
    Path dir;

    private NDManager manager;
    private Engine engine;

    /** Self-attention of width 8, 2 heads: keys to_q, to_k, to_v, to_out.0 as in diffusers. */
    static final class Block extends Module {
        final Attention attn;

        Block(NDManager m) {
            attn = registerModule("attn1", new Attention(m, 8, 8, 2, 4, 0f, false, false));
        }

        NDArray forward(NDArray x) {
            return attn.forward(x, null, null);
        }
    }

    @BeforeEach
    void setUp() {
        engine = Engines.pytorch();
        manager = engine.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private Block block(long seed) {
        Block b = new Block(manager);
        TinyModels.fill(b, 0.3, seed);
        return b;
    }

    private LoraConfig config(int rank) {
        return LoraConfig.rank(rank).withAlpha(2.0 * rank).withOptimizer(OptimizerConfig.defaults().withLearningRate(1e-2));
    }

    private void train(Lora lora, Block b, NDArray x, int steps) {
        for (int i = 0; i < steps; i++) {
            try (GradientCollector gc = engine.newGradientCollector()) {
                lora.step(b.forward(x).sub(0.2f).square().mean());
            }
        }
    }

    @Test
    void targetsTheAttentionProjectionsBySuffix() {
        Block b = block(1);
        assertThat(Lora.targetWeights(b, LoraConfig.ATTENTION_TARGETS).keySet())
                .containsExactly("attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0");
        assertThat(Lora.targetWeights(b, List.of("to_q")).keySet()).containsExactly("attn1.to_q");
        assertThatThrownBy(() -> Lora.targetWeights(b, List.of("ff.net"))).hasMessageContaining("ff.net");
    }

    @Test
    void mergedEqualsUnmerged() {
        Block b = block(2);
        NDArray x = TinyModels.input(manager, 3, 2, 5, 8);
        try (Lora lora = Lora.attach(b, config(2))) {
            train(lora, b, x, 5);
            float[] unmerged = b.forward(x).toFloatArray();
            lora.merge();
            assertThat(b.attn.namedParameters().get("to_q.weight").adaptation()).isNull();
            double[] merged = Tensors.toDoubles(b.forward(x));
            double[] expected = new double[unmerged.length];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = unmerged[i];
            }
            assertThat(Tensors.maxRelativeError(merged, expected)).isLessThan(1e-5);
            assertThat(merged).isNotEqualTo(Tensors.toDoubles(block(2).forward(x))); // training changed it
        }
    }

    @Test
    void factorGradientsFollowTheChainRuleThroughTheDenseGradient() {
        NDArray x = TinyModels.input(manager, 5, 2, 5, 8);
        LoraConfig c = config(3);
        // on one layer, against the dense gradient G of the same loss: dL/dB = s·G·Aᵀ, dL/dA = s·Bᵀ·G
        Block one = block(6);
        try (Lora lora = Lora.attach(one, c.withTargets(List.of("to_v")))) {
            train(lora, one, x, 1); // B is no longer zero
            NDArray a = lora.optimizerLeaves().get(0);
            NDArray bb = lora.optimizerLeaves().get(1);
            NDArray loss;
            try (GradientCollector gc = engine.newGradientCollector()) {
                loss = one.forward(x).sub(0.2f).square().mean();
            }
            Autograd.backward(loss);
            double[] ga = Tensors.toDoubles(Autograd.gradient(a));
            double[] gb = Tensors.toDoubles(Autograd.gradient(bb));
            Block dense = block(6);
            NDArray w = one.attn.namedParameters().get("to_v.weight").value(); // W + s·B·A, no history here
            dense.attn.namedParameters().get("to_v.weight").copyFrom(w.duplicate());
            dense.attn.namedParameters().get("to_v.weight").data().setRequiresGradient(true);
            try (GradientCollector gc = engine.newGradientCollector()) {
                gc.backward(dense.forward(x).sub(0.2f).square().mean());
            }
            NDArray g = dense.attn.namedParameters().get("to_v.weight").data().getGradient();
            float s = (float) c.scale();
            double[] expectB = Tensors.toDoubles(g.matMul(a.transpose()).mul(s));
            double[] expectA = Tensors.toDoubles(bb.transpose().matMul(g).mul(s));
            assertThat(Tensors.maxRelativeError(gb, expectB)).isLessThan(1e-5);
            assertThat(Tensors.maxRelativeError(ga, expectA)).isLessThan(1e-5);
        }
    }

    @Test
    void matchParamsPicksTheRankClosestToACount() {
        Block b = block(7);
        // four 8×8 projections: r·4·(8 + 8) = 64·r values
        assertThat(Lora.rankForCount(b, LoraConfig.ATTENTION_TARGETS, 64 * 3)).isEqualTo(3);
        assertThat(Lora.rankForCount(b, LoraConfig.ATTENTION_TARGETS, 64 * 5 + 20)).isEqualTo(5);
        assertThat(Lora.rankForCount(b, LoraConfig.ATTENTION_TARGETS, 1)).isEqualTo(1);
        LoraConfig matched = Lora.matchParams(b, LoraConfig.rank(4).withAlpha(8), 64 * 2);
        assertThat(matched.rank()).isEqualTo(2);
        assertThat(matched.scale()).isEqualTo(2.0);
    }

    @Test
    void stateBytesCountsFactorsGradientsAndMoments() {
        Block b = block(8);
        NDArray x = TinyModels.input(manager, 9, 2, 5, 8);
        try (Lora lora = Lora.attach(b, config(2))) {
            train(lora, b, x, 1);
            assertThat(lora.stateBytes()).isEqualTo(16 * lora.trainableCount());
        }
    }

    @Test
    void saveLoadAndApplyFileReproduceTheTunedModel() {
        Block b = block(10);
        NDArray x = TinyModels.input(manager, 11, 2, 5, 8);
        Path file = dir.resolve("lora.safetensors");
        float[] tuned;
        try (Lora lora = Lora.attach(b, config(2))) {
            train(lora, b, x, 4);
            lora.save(file);
            tuned = b.forward(x).toFloatArray();
        }
        Block fresh = block(10);
        try (Lora lora = Lora.attach(fresh, config(2))) {
            lora.load(file);
            assertThat(fresh.forward(x).toFloatArray()).containsExactly(tuned);
        }
        Block applied = block(10);
        Lora.applyFile(applied, file, 1.0);
        double[] expected = new double[tuned.length];
        for (int i = 0; i < tuned.length; i++) {
            expected[i] = tuned[i];
        }
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(applied.forward(x)), expected)).isLessThan(1e-5);
        assertThatThrownBy(() -> Lora.applyFile(block(11), file, 1.0)).hasMessageContaining("attn1.to_q.weight: values differ");
    }
}
