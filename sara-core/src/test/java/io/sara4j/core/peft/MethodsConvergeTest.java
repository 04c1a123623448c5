package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Attention;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.GroupNorm;
import io.sara4j.core.nn.Module;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every method, on a small conv + attention model and a toy regression task (fit the outputs of a
 * teacher with other weights): the loss after 40 steps must be below {@link #MARGIN} of the loss
 * before training. Also checks that the base model is left untouched outside what each method tunes.
 */
class MethodsConvergeTest {
    /** Final loss must be at most this fraction of the initial loss. */
    private static final double MARGIN = 0.5;
    private static final int STEPS = 40;

    /** conv_in → GroupNorm → SiLU → self-attention over the pixels (residual) → conv_out. */
    static final class ConvAttention extends Module {
        final Conv2d convIn;
        final GroupNorm norm;
        final Attention attn;
        final Conv2d convOut;

        ConvAttention(NDManager m) {
            convIn = registerModule("conv_in", new Conv2d(m, 3, 16, 3, 1, 1));
            norm = registerModule("norm", new GroupNorm(m, 4, 16, 1e-5f));
            attn = registerModule("attn1", new Attention(m, 16, 16, 2, 8, 0f, false, false));
            convOut = registerModule("conv_out", new Conv2d(m, 16, 3, 3, 1, 1));
        }

        NDArray forward(NDArray x) {
            NDArray h = Activations.silu(norm.forward(convIn.forward(x)));    // (B, 16, H, W)
            Shape s = h.getShape();
            NDArray tokens = h.reshape(s.get(0), s.get(1), -1).transpose(0, 2, 1); // (B, HW, 16)
            tokens = tokens.add(attn.forward(tokens, null, null));
            h = tokens.transpose(0, 2, 1).reshape(s);                          // (B, 16, H, W)
            return convOut.forward(h);
        }
    }

    private NDManager manager;
    private Engine engine;
    private NDArray x;
    private NDArray target;

    @BeforeEach
    void setUp() {
        engine = Engines.pytorch();
        manager = engine.newBaseManager();
        x = TinyModels.input(manager, 1, 4, 3, 6, 6);
        ConvAttention teacher = model(99);
        target = teacher.forward(x).mul(1.5f).add(0.1f);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private ConvAttention model(long seed) {
        ConvAttention m = new ConvAttention(manager);
        TinyModels.fill(m, 0.3, seed);
        m.norm.namedParameters().get("weight").copyFrom(manager.ones(new Shape(16)));
        return m;
    }

    private double loss(ConvAttention m) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            return m.forward(x).sub(target).square().mean().getFloat();
        }
    }

    private double[] train(Function<ConvAttention, FineTuner> method) {
        ConvAttention m = model(7);
        double before = loss(m);
        try (FineTuner tuner = method.apply(m)) {
            for (int i = 0; i < STEPS; i++) {
                try (NDScope scope = new NDScope(); GradientCollector gc = engine.newGradientCollector()) {
                    scope.suppressNotUsedWarning();
                    tuner.step(m.forward(x).sub(target).square().mean());
                }
            }
            tuner.merge();
        }
        double after = loss(m);
        return new double[] {before, after};
    }

    private void assertLearns(String name, double[] losses) {
        System.out.printf("%s: loss %.5f -> %.5f (%.1f%%)%n", name, losses[0], losses[1], 100 * losses[1] / losses[0]);
        assertThat(losses[1]).as(name).isLessThan(MARGIN * losses[0]);
    }

    private SaraConfig sara() {
        return SaraConfig.builder().setSelection(new SelectionRule.Fraction(0.3)).optLearningRate(2e-2).optTotalSteps(STEPS)
                .optRankMinDim(2).optRankIncludeConv(true).optRankLambda(1e-3).build(); // re-selection at step 20
    }

    @Test
    void saraLearns() {
        assertLearns("sara", train(m -> Sara.attach(m, sara())));
    }

    @Test
    void saraAblationsLearn() {
        assertLearns("random-sparse", train(m -> Sara.attachMatchingCount(m, sara(), "random")));
        assertLearns("largest-sparse", train(m -> Sara.attachMatchingCount(m, sara(), "largest")));
    }

    @Test
    void maskedDenseLearns() {
        assertLearns("masked-dense", train(m -> MaskedDenseFineTune.attach(m, sara())));
    }

    @Test
    void loraLearns() {
        LoraConfig lora = LoraConfig.rank(4).withAlpha(4).withTargets(List.of("to_q", "to_k", "to_v", "to_out.0", "conv_in", "conv_out"))
                .withOptimizer(OptimizerConfig.defaults().withLearningRate(2e-2).withTotalSteps(STEPS));
        assertLearns("lora", train(m -> Lora.attach(m, lora)));
    }

    @Test
    void fullFineTuningLearns() {
        assertLearns("full", train(m -> FullFineTune.attach(m, NameFilter.all(),
                OptimizerConfig.defaults().withLearningRate(1e-2).withTotalSteps(STEPS))));
    }
}
