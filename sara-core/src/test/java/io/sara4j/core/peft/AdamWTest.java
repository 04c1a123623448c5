package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.testing.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** SaRA's optimizer step against AdamW written out in float64, with dense reference gradients. */
class AdamWTest {
    private static final double B1 = 0.9;
    private static final double B2 = 0.999;
    private static final double EPS = 1e-8;

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

    /** float64 AdamW state for one tensor's trainable entries. */
    private static final class Reference {
        final double[] p;
        final double[] m;
        final double[] s;

        Reference(double[] p) {
            this.p = p.clone();
            this.m = new double[p.length];
            this.s = new double[p.length];
        }

        void step(double[] g, double lr, double wd, int t) {
            double bc1 = 1 - Math.pow(B1, t);
            double bc2 = 1 - Math.pow(B2, t);
            for (int i = 0; i < p.length; i++) {
                p[i] *= 1 - lr * wd;
                m[i] = B1 * m[i] + (1 - B1) * g[i];
                s[i] = B2 * s[i] + (1 - B2) * g[i] * g[i];
                p[i] -= lr * (m[i] / bc1) / (Math.sqrt(s[i] / bc2) + EPS);
            }
        }
    }

    /** Dense gradient of the loss at the Sara model's current values, gathered at each tensor's mask. */
    private List<double[]> referenceGradients(TinyModels.Mlp sparse, TinyModels.Mlp twin, Sara sara, NDArray x, NDArray y) {
        TinyModels.copy(sparse, twin); // the stored tensors hold the current values
        twin.namedParameters().values().forEach(p -> p.data().setRequiresGradient(true));
        try (GradientCollector gc = engine.newGradientCollector()) {
            gc.backward(twin.forward(x).sub(y).square().mean());
        }
        Map<String, Parameter> params = twin.namedParameters();
        List<double[]> out = new ArrayList<>();
        for (SparseAdaptation t : sara.tensors()) {
            out.add(Tensors.toDoubles(SparseAdaptation.gather(params.get(t.name()).data().getGradient(), t.active())));
        }
        return out;
    }

    private void runAgainstReference(SaraConfig config, int steps, double maxNorm) {
        TinyModels.Mlp net = TinyModels.mlp(manager, 5, 7, 3, 0.1, 21);
        TinyModels.Mlp twin = TinyModels.mlp(manager, 5, 7, 3, 0.1, 21);
        NDArray x = TinyModels.input(manager, 22, 6, 5);
        NDArray y = TinyModels.input(manager, 23, 6, 3);
        try (Sara sara = Sara.attach(net, config)) {
            List<Reference> refs = new ArrayList<>();
            sara.tensors().forEach(t -> refs.add(new Reference(Tensors.toDoubles(t.values()))));
            LearningRateSchedule schedule = config.optimizer().schedule(sara.learningRate());
            for (int step = 0; step < steps; step++) {
                List<double[]> grads = referenceGradients(net, twin, sara, x, y);
                if (maxNorm > 0) {
                    double sq = 0;
                    for (double[] g : grads) {
                        for (double v : g) {
                            sq += v * v;
                        }
                    }
                    double factor = maxNorm / (Math.sqrt(sq) + 1e-6);
                    if (factor < 1) {
                        grads.forEach(g -> {
                            for (int i = 0; i < g.length; i++) {
                                g[i] *= factor;
                            }
                        });
                    }
                }
                StepReport report;
                try (GradientCollector gc = engine.newGradientCollector()) {
                    report = sara.step(net.forward(x).sub(y).square().mean());
                }
                double lr = schedule.lr(step);
                assertThat(report.learningRate()).isEqualTo(lr);
                for (int i = 0; i < refs.size(); i++) {
                    refs.get(i).step(grads.get(i), lr, config.optimizer().weightDecay(), step + 1);
                    double[] actual = Tensors.toDoubles(sara.tensors().get(i).values());
                    assertThat(Tensors.maxRelativeError(actual, refs.get(i).p))
                            .as("step %d, tensor %s", step + 1, sara.tensors().get(i).name()).isLessThan(1e-6);
                }
            }
        }
    }

    @Test
    void stepsMatchFloat64AdamWWithWarmupCosineAndDecoupledDecay() {
        SaraConfig config = SaraConfig.builder().setThreshold(0.05).optRankLambda(0).optLearningRate(3e-3)
                .optWeightDecay(0.5).optWarmupSteps(2).optTotalSteps(6).optProgressiveIter(0).build();
        runAgainstReference(config, 6, 0);
    }

    @Test
    void clippingScalesTheGlobalNormBeforeTheUpdate() {
        SaraConfig config = SaraConfig.builder().setThreshold(0.05).optRankLambda(0).optLearningRate(3e-3)
                .optMaxGradNorm(1e-3).build();
        runAgainstReference(config, 3, 1e-3);
    }

    @Test
    void entriesOutsideTheMaskStayBitIdenticalAfterManySteps() {
        TinyModels.Mlp net = TinyModels.mlp(manager, 5, 7, 3, 0.1, 31);
        Map<String, float[]> before = new java.util.LinkedHashMap<>();
        net.namedParameters().forEach((n, p) -> before.put(n, p.data().toFloatArray()));
        NDArray x = TinyModels.input(manager, 32, 6, 5);
        SaraConfig config = SaraConfig.builder().setThreshold(0.03).optLearningRate(1e-2).optRankMinDim(2).build();
        try (Sara sara = Sara.attach(net, config)) {
            for (int step = 0; step < 60; step++) {
                try (GradientCollector gc = engine.newGradientCollector()) {
                    sara.step(net.forward(x).sub(1).square().mean());
                }
            }
            for (SparseAdaptation t : sara.tensors()) {
                float[] now = t.parameter().data().toFloatArray();
                float[] was = before.get(t.name());
                java.util.Set<Long> mask = new java.util.HashSet<>();
                for (long i : t.positions().toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray()) {
                    mask.add(i);
                }
                int changed = 0;
                for (int i = 0; i < now.length; i++) {
                    if (!mask.contains((long) i)) {
                        assertThat(Float.floatToRawIntBits(now[i])).as(t.name() + "[" + i + "]")
                                .isEqualTo(Float.floatToRawIntBits(was[i]));
                    } else if (now[i] != was[i]) {
                        changed++;
                    }
                }
                assertThat(changed).as(t.name()).isPositive();
            }
        }
    }
}
