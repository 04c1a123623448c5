package io.sara4j.core.peft;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Attention;
import io.sara4j.core.nn.Autograd;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.testing.Tensors;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    /** One Linear under the key {@code proj}. */
    static final class Proj extends Module {
        final Linear proj;

        Proj(NDManager m, int in, int out) {
            proj = registerModule("proj", new Linear(m, in, out, true));
        }
    }

    /** One convolution under the key {@code conv}: 3 → 4 channels, k 3, stride 2, padding 1, dilation 2. */
    static final class ConvNet extends Module {
        final Conv2d conv;

        ConvNet(NDManager m) {
            conv = registerModule("conv", new Conv2d(m, 3, 4, 3, 2, 1, 2, 1, true));
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

    /** Sets the LoRA factors of the only adapted layer: B from {@code seed} (A keeps its initialisation). */
    private static double[] randomB(Lora lora, NDManager m, long seed) {
        NDArray b = lora.optimizerLeaves().get(1);
        double[] values = Tensors.roundToFloat(Tensors.uniform(new Random(seed), (int) b.size(), 0.5));
        b.stopGradient().set(new NDIndex("..."), Tensors.float32(m, values, b.getShape()));
        return values;
    }

    @Test
    void linearForwardAndFactorGradientsMatchAFloat64Reference() {
        int n = 8;
        int in = 6;
        int out = 5;
        int r = 3;
        double s = 2.0;
        Proj net = new Proj(manager, in, out);
        TinyModels.fill(net, 0.4, 21);
        try (Lora lora = Lora.attach(net, LoraConfig.rank(r).withAlpha(s * r).withTargets(List.of("proj")))) {
            double[] bf = randomB(lora, manager, 22);
            NDArray a = lora.optimizerLeaves().get(0);
            NDArray b = lora.optimizerLeaves().get(1);
            double[] af = Tensors.toDoubles(a);
            double[] w = Tensors.toDoubles(net.proj.weight().data());
            double[] bias = Tensors.toDoubles(net.proj.bias().data());
            Random random = new Random(23);
            double[] x = Tensors.roundToFloat(Tensors.uniform(random, n * in, 1.0));
            double[] c = Tensors.uniform(random, n * out, 1.0);
            NDArray y = Tensors.forwardBackward(() -> net.proj.forward(Tensors.float32(manager, x, new Shape(2, 4, in))), c);

            // float64: h = x·Aᵀ, y = x·Wᵀ + b + s·h·Bᵀ; dB = s·cᵀ·h, dA = s·(c·B)ᵀ·x
            double[] yRef = new double[n * out];
            double[] gA = new double[r * in];
            double[] gB = new double[out * r];
            for (int row = 0; row < n; row++) {
                double[] h = new double[r];
                for (int j = 0; j < r; j++) {
                    for (int i = 0; i < in; i++) {
                        h[j] += x[row * in + i] * af[j * in + i];
                    }
                }
                for (int o = 0; o < out; o++) {
                    double v = bias[o];
                    for (int i = 0; i < in; i++) {
                        v += x[row * in + i] * w[o * in + i];
                    }
                    for (int j = 0; j < r; j++) {
                        v += s * h[j] * bf[o * r + j];
                        gB[o * r + j] += s * c[row * out + o] * h[j];
                    }
                    yRef[row * out + o] = v;
                }
                for (int j = 0; j < r; j++) {
                    double cb = 0;
                    for (int o = 0; o < out; o++) {
                        cb += c[row * out + o] * bf[o * r + j];
                    }
                    for (int i = 0; i < in; i++) {
                        gA[j * in + i] += s * cb * x[row * in + i];
                    }
                }
            }
            Tensors.assertClose("y", Tensors.toDoubles(y), yRef, 1e-5);
            Tensors.assertClose("dL/dA", Tensors.toDoubles(a.getGradient()), gA, 1e-4);
            Tensors.assertClose("dL/dB", Tensors.toDoubles(b.getGradient()), gB, 1e-4);
            assertThat(net.proj.weight().data().hasGradient()).isFalse();
            assertThat(Autograd.hasGradientBuffer(net.proj.weight().data())).isFalse();
            assertThat(Autograd.hasGradientBuffer(net.proj.bias().data())).isFalse();
        }
    }

    @Test
    void convForwardAndFactorGradientsMatchTheFloat64MergedConvolution() {
        ConvNet net = new ConvNet(manager);
        TinyModels.fill(net, 0.3, 31);
        double s = 1.5;
        try (Lora lora = Lora.attach(net, LoraConfig.rank(2).withAlpha(3.0).withTargets(List.of("conv")))) {
            double[] bf = randomB(lora, manager, 32);
            NDArray a = lora.optimizerLeaves().get(0);   // (2, 3·3·3)
            NDArray b = lora.optimizerLeaves().get(1);   // (4, 2)
            Random random = new Random(33);
            Shape xShape = new Shape(2, 3, 7, 7);
            double[] x = Tensors.roundToFloat(Tensors.uniform(random, (int) xShape.size(), 1.0));
            double[] c = Tensors.uniform(random, 2 * 4 * 3 * 3, 1.0);                 // output (2, 4, 3, 3)
            NDArray y = Tensors.forwardBackward(() -> net.conv.forward(Tensors.float32(manager, x, xShape)), c);

            // float64 reference through the merged weight: y = conv(x, W + s·B·A), G = dL/dW_eff by autograd,
            // then the chain rule dA = s·Bᵀ·G, dB = s·G·Aᵀ (G viewed as (out, in·k·k))
            NDArray a64 = a.stopGradient().toType(DataType.FLOAT64, true);
            NDArray b64 = Tensors.float64(manager, bf, new Shape(4, 2));
            NDArray wEff = net.conv.weight().data().toType(DataType.FLOAT64, true)
                    .add(b64.matMul(a64).mul(s).reshape(4, 3, 3, 3));
            wEff.setRequiresGradient(true);
            NDArray bias64 = net.conv.bias().data().toType(DataType.FLOAT64, true);
            NDArray x64 = Tensors.float64(manager, x, xShape);
            NDArray yRef = Tensors.forwardBackward(() -> Conv2d.conv2d(x64, wEff, bias64, 2, 1, 2, 1), c);
            NDArray g = wEff.getGradient().reshape(4, 27);
            Tensors.assertClose("y", Tensors.toDoubles(y), Tensors.toDoubles(yRef), 1e-5);
            Tensors.assertClose("dL/dA", Tensors.toDoubles(a.getGradient()), Tensors.toDoubles(b64.transpose().matMul(g).mul(s)), 1e-4);
            Tensors.assertClose("dL/dB", Tensors.toDoubles(b.getGradient()), Tensors.toDoubles(g.matMul(a64.transpose()).mul(s)), 1e-4);
            assertThat(Autograd.hasGradientBuffer(net.conv.weight().data())).isFalse();
        }
    }

    @Test
    void backwardProducesNoWeightShapedGradient() {
        Block b = block(41);
        try (NDManager data = engine.newBaseManager(); Lora lora = Lora.attach(b, config(2))) {
            randomB(lora, manager, 42); // B ≠ 0, so the gradient of A is not trivially zero
            NDArray x = TinyModels.input(data, 43, 2, 5, 8);
            Set<NDArray> before = weightShaped(manager);
            try (GradientCollector gc = engine.newGradientCollector()) {
                Autograd.backward(b.forward(x).sub(0.2f).square().mean());
            }
            Set<NDArray> factors = Collections.newSetFromMap(new IdentityHashMap<>());
            factors.addAll(lora.optimizerLeaves());
            // every array of the model and the tuner (x and the activations live in the data manager)
            Set<NDArray> withGradient = Collections.newSetFromMap(new IdentityHashMap<>());
            manager.getManagedArrays().stream().filter(a -> !a.isReleased()).filter(Autograd::hasGradientBuffer)
                    .forEach(withGradient::add);
            assertThat(withGradient).hasSize(8).isEqualTo(factors);
            for (Parameter p : b.namedParameters().values()) {
                assertThat(p.data().hasGradient()).isFalse();
                assertThat(Autograd.hasGradientBuffer(p.data())).isFalse();
            }
            // and W + s·B·A was never formed: forward and backward created no weight-shaped array anywhere
            // (model, tuner, activations); a weight-side LoRA leaves B·A and W + s·B·A for each of the 4 layers
            assertThat(weightShaped(data)).isEmpty();
            assertThat(weightShaped(manager)).isEqualTo(before);
        }
    }

    /** The live arrays of shape (8, 8), the attention weights' shape, held by {@code m} and its sub-managers. */
    private static Set<NDArray> weightShaped(NDManager m) {
        Set<NDArray> out = Collections.newSetFromMap(new IdentityHashMap<>());
        m.getManagedArrays().stream().filter(a -> !a.isReleased()).filter(a -> a.getShape().equals(new Shape(8, 8)))
                .forEach(out::add);
        return out;
    }

    @Test
    void convMergedEqualsUnmerged() {
        ConvNet net = new ConvNet(manager);
        TinyModels.fill(net, 0.3, 51);
        NDArray x = TinyModels.input(manager, 52, 2, 3, 7, 7);
        try (Lora lora = Lora.attach(net, LoraConfig.rank(2).withAlpha(4).withTargets(List.of("conv"))
                .withOptimizer(OptimizerConfig.defaults().withLearningRate(1e-2)))) {
            for (int i = 0; i < 3; i++) {
                try (GradientCollector gc = engine.newGradientCollector()) {
                    lora.step(net.conv.forward(x).square().mean());
                }
            }
            double[] unmerged = Tensors.toDoubles(net.conv.forward(x));
            lora.merge();
            assertThat(net.conv.weight().adaptation()).isNull();
            Tensors.assertClose("merged", Tensors.toDoubles(net.conv.forward(x)), unmerged, 1e-5);
        }
    }

    /**
     * A layer with W = I, no bias, A = B = I and s = 1, so y = x + dropout(x): each output is x
     * (dropped) or x + x/(1 − p). Returns the outputs of {@code calls} forward passes in one step.
     */
    private List<float[]> identityLayerOutputs(double p, long seed, boolean training, NDArray x, int calls) {
        Proj net = new Proj(manager, 4, 4);
        net.proj.weight().copyFrom(manager.eye(4));
        net.proj.bias().copyFrom(manager.zeros(new Shape(4)));
        net.setTraining(training);
        Lora lora = Lora.attach(net, LoraConfig.rank(4).withAlpha(4).withDropout(p).withSeed(seed).withTargets(List.of("proj")));
        try {
            for (NDArray f : lora.optimizerLeaves()) {
                f.stopGradient().set(new NDIndex("..."), manager.eye(4));
            }
            List<float[]> out = new java.util.ArrayList<>();
            for (int i = 0; i < calls; i++) {
                try (GradientCollector gc = engine.newGradientCollector()) {
                    out.add(net.proj.forward(x).toFloatArray());
                }
            }
            return out;
        } finally {
            lora.close();
        }
    }

    @Test
    void dropoutActsOnTheLoraInputOnlyInTrainingModeAndIsSeeded() {
        NDArray x = TinyModels.input(manager, 61, 2, 50, 4);
        float[] xs = x.toFloatArray();
        // eval mode (the default): no dropout, also while recording
        for (float[] y : identityLayerOutputs(0.5, 7, false, x, 2)) {
            for (int i = 0; i < xs.length; i++) {
                assertThat(y[i]).isEqualTo(xs[i] + xs[i]);
            }
        }
        List<float[]> training = identityLayerOutputs(0.5, 7, true, x, 2);
        int dropped = 0;
        for (int i = 0; i < xs.length; i++) {
            float y = training.get(0)[i];
            boolean kept = y == xs[i] + xs[i] * 2f;
            assertThat(kept || y == xs[i]).as("element " + i).isTrue(); // the base path always sees x
            dropped += kept ? 0 : 1;
        }
        assertThat(dropped).isBetween(150, 250); // 400 draws at p = 0.5
        assertThat(training.get(1)).isNotEqualTo(training.get(0)); // the next call of the same step: a new mask
        // same seed, same step, same call: the same masks, in another tuner on another model
        List<float[]> again = identityLayerOutputs(0.5, 7, true, x, 2);
        assertThat(again.get(0)).containsExactly(training.get(0));
        assertThat(again.get(1)).containsExactly(training.get(1));
        assertThat(identityLayerOutputs(0.5, 8, true, x, 1).get(0)).isNotEqualTo(training.get(0));
    }

    @Test
    void groupedConvolutionsAreRefused() {
        Module grouped = new Module() {
            {
                registerModule("conv", new Conv2d(manager, 4, 4, 3, 1, 1, 1, 2, true));
            }
        };
        assertThatThrownBy(() -> Lora.targetWeights(grouped, List.of("conv"))).hasMessageContaining("'conv'")
                .hasMessageContaining("groups=2");
    }
}
