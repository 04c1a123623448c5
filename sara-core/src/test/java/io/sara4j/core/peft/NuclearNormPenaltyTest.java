package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.testing.Tensors;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NuclearNormPenaltyTest {
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

    private Linear layer(int in, int out, long seed) {
        Linear l = new Linear(manager, in, out, false);
        TinyModels.fill(l, 0.1, seed);
        return l;
    }

    /** M ⊙ P of the tensor, from the stored weights, as a row-major double matrix. */
    private static double[] maskedMatrix(SparseAdaptation t) {
        double[] stored = Tensors.toDoubles(t.parameter().data());
        double[] out = new double[stored.length];
        for (long i : t.active().toType(DataType.INT64, false).toLongArray()) {
            out[(int) i] = stored[(int) i];
        }
        return out;
    }

    private SaraConfig.Builder base() {
        return SaraConfig.builder().setThreshold(0.05).optRankMinDim(4).optWeightDecay(0);
    }

    @Test
    void addsLambdaTimesThePolarFactorAtTheMaskAndReportsLambdaTimesSumOfSingularValues() {
        Linear l = layer(14, 10, 1);
        try (Sara sara = Sara.attach(l, base().optRankLambda(0).build())) {
            SparseAdaptation t = sara.tensors().get(0);
            double lambda = 0.25;
            NuclearNormPenalty penalty = new NuclearNormPenalty(lambda, NuclearNormPenalty.Target.VALUES, true, false, 4, 0,
                    sara.tensors());
            Svd.Polar exact = Svd.polar(maskedMatrix(t), 10, 14, 1e-12);
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                Map<SparseAdaptation, NDArray> grads = new LinkedHashMap<>();
                grads.put(t, t.values().zerosLike());
                double value = penalty.addGradients(grads, 0);
                // the fast polar factor's singular values are within 1e-4 of 1 here (NewtonSchulz's schedule)
                assertThat(Math.abs(value - lambda * exact.nuclearNorm()) / (lambda * exact.nuclearNorm())).isLessThan(1e-4);
                long[] at = t.active().toType(DataType.INT64, false).toLongArray();
                double[] expected = new double[at.length];
                for (int k = 0; k < at.length; k++) {
                    expected[k] = lambda * exact.factor()[(int) at[k]];
                }
                assertThat(Tensors.maxRelativeError(Tensors.toDoubles(grads.get(t)), expected)).isLessThan(1e-3);
            }
        }
    }

    @Test
    void deltaTargetStartsAtZero() {
        Linear l = layer(14, 10, 2);
        try (Sara sara = Sara.attach(l, base().optRankLambda(0).build())) {
            NuclearNormPenalty penalty = new NuclearNormPenalty(1, NuclearNormPenalty.Target.DELTA, true, false, 4, 0,
                    sara.tensors());
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                SparseAdaptation t = sara.tensors().get(0);
                Map<SparseAdaptation, NDArray> grads = new LinkedHashMap<>(Map.of(t, t.values().zerosLike()));
                assertThat(penalty.addGradients(grads, 0)).isZero();
                assertThat(Tensors.toDoubles(grads.get(t))).containsOnly(0.0);
            }
        }
    }

    @Test
    void trainingOnThePenaltyAloneLowersTheNuclearNormEveryStep() {
        Linear l = layer(16, 12, 3);
        NDArray x = TinyModels.input(manager, 4, 3, 16);
        try (Sara sara = Sara.attach(l, base().optRankLambda(1.0).optLearningRate(1e-3).build())) {
            SparseAdaptation t = sara.tensors().get(0);
            double previous = Svd.polar(maskedMatrix(t), 12, 16, 0).nuclearNorm();
            for (int step = 0; step < 25; step++) {
                StepReport r;
                try (GradientCollector gc = engine.newGradientCollector()) {
                    r = sara.step(l.forward(x).sum().mul(0)); // a loss with history but zero gradient
                }
                double now = Svd.polar(maskedMatrix(t), 12, 16, 0).nuclearNorm();
                assertThat(r.penalty()).as("reported at step %d", step + 1).isCloseTo(previous, org.assertj.core.api.Assertions.within(1e-4));
                assertThat(now).as("nuclear norm after step %d", step + 1).isLessThan(previous);
                previous = now;
            }
        }
    }

    @Test
    void eligibilityFollowsShapeAndOptions() {
        assertThat(NuclearNormPenalty.isEligible(new Shape(65, 65), false, 64)).isTrue();
        assertThat(NuclearNormPenalty.isEligible(new Shape(64, 320), false, 64)).isFalse();
        assertThat(NuclearNormPenalty.isEligible(new Shape(320), false, 0)).isFalse();
        assertThat(NuclearNormPenalty.isEligible(new Shape(128, 64, 3, 3), false, 64)).isFalse();
        assertThat(NuclearNormPenalty.isEligible(new Shape(128, 64, 3, 3), true, 64)).isTrue(); // (128, 576)
        assertThat(NuclearNormPenalty.matrixShape(new Shape(8, 4, 3, 3))).isEqualTo(new Shape(8, 36));
    }

    @Test
    void oneRandomLayerPerStepDependsOnlyOnSeedAndStep() {
        TinyModels.Mlp net = TinyModels.mlp(manager, 10, 12, 9, 0.1, 5);
        try (Sara sara = Sara.attach(net, base().optRankLambda(0).build())) {
            assertThat(new NuclearNormPenalty(1, NuclearNormPenalty.Target.VALUES, false, false, 4, 7, sara.tensors()).eligible())
                    .extracting(SparseAdaptation::name).containsExactly("fc1.weight", "fc2.weight");
            List<Double> a = penalties(sara, 7);
            List<Double> b = penalties(sara, 7);
            assertThat(a).isEqualTo(b);
            assertThat(a.stream().distinct().count()).isEqualTo(2); // both layers get drawn
            assertThat(penalties(sara, 8)).isNotEqualTo(a);
            // no generator state: the choice for step t is the same whatever was drawn before
            NuclearNormPenalty p = new NuclearNormPenalty(1, NuclearNormPenalty.Target.VALUES, false, false, 4, 7, sara.tensors());
            for (int step : new int[] {11, 3, 3, 0, 11}) {
                assertThat(p.chosen(step)).isEqualTo(new NuclearNormPenalty(1, NuclearNormPenalty.Target.VALUES, false, false, 4, 7,
                        sara.tensors()).chosen(step));
            }
        }
    }

    private List<Double> penalties(Sara sara, long seed) {
        NuclearNormPenalty p = new NuclearNormPenalty(1, NuclearNormPenalty.Target.VALUES, false, false, 4, seed, sara.tensors());
        List<Double> out = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                Map<SparseAdaptation, NDArray> grads = new LinkedHashMap<>();
                sara.tensors().forEach(t -> grads.put(t, t.values().zerosLike()));
                out.add(p.addGradients(grads, i));
            }
        }
        return out;
    }
}
