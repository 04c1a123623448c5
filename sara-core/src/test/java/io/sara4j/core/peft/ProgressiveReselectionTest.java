package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.Linear;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A constructed case: loss = Σ W ⊙ C, so the gradient is the constant C and Adam moves every
 * trainable entry by about lr·sign(−C) per step; some small entries cross θ = 0.1 after two steps.
 */
class ProgressiveReselectionTest {
    private static final double THETA = 0.1;
    private static final double LR = 0.03;
    private static final float[] W = {
        0.05f, 0.02f, -0.09f, -0.01f,
        0.5f, 0.07f, -0.06f, 0.095f,
        -0.3f, 0.0f, 0.04f, -0.08f};
    private static final float[] C = {
        -1f, -1f, 1f, -1f,
        1f, 1f, 1f, -1f,
        1f, 1f, -1f, -1f};

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

    private Linear layer() {
        Linear l = new Linear(manager, 4, 3, false);
        l.weight().copyFrom(manager.create(W, new Shape(3, 4)));
        return l;
    }

    private StepReport step(FineTuner tuner, Linear l) {
        NDArray identity = manager.eye(4);
        NDArray c = manager.create(C, new Shape(3, 4)).transpose();
        try (GradientCollector gc = engine.newGradientCollector()) {
            return tuner.step(l.forward(identity).mul(c).sum()); // forward(I) = Wᵀ
        }
    }

    private SaraConfig config(long progressiveIter) {
        return SaraConfig.builder().setThreshold(THETA).optLearningRate(LR).optWeightDecay(0).optRankLambda(0)
                .optProgressiveIter(progressiveIter).build();
    }

    private static long[] longs(NDArray a) {
        return a.toType(DataType.INT64, false).toLongArray();
    }

    @Test
    void reselectsExactlyTheEntriesStillBelowThetaAndKeepsTheirMoments() {
        Linear l = layer();
        try (Sara sara = Sara.attach(l, config(2))) {
            SparseAdaptation t = sara.tensors().get(0);
            long[] m = longs(t.positions());
            assertThat(m).containsExactly(0, 1, 2, 3, 5, 6, 7, 9, 10, 11);
            step(sara, l);
            float[] afterOne = l.weight().data().toFloatArray();
            step(sara, l); // the re-selection step
            float[] afterTwo = l.weight().data().toFloatArray();

            // the re-selection step still updated every entry of M
            for (long i : m) {
                assertThat(afterTwo[(int) i]).as("entry " + i).isNotEqualTo(afterOne[(int) i]);
            }
            // M2 = M ∧ |P| < θ, computed from the stored weights
            List<Long> expected = new ArrayList<>();
            for (long i : m) {
                if (Math.abs(afterTwo[(int) i]) < (float) THETA) {
                    expected.add(i);
                }
            }
            assertThat(expected).hasSizeBetween(1, m.length - 1); // the case really has crossings
            assertThat(longs(t.active())).containsExactly(expected.stream().mapToLong(Long::longValue).toArray());
            assertThat(sara.trainableCount()).isEqualTo(expected.size());
            assertThat(longs(t.positions())).containsExactly(m); // M is still known for saving

            // surviving moments carried over: with a constant gradient m_2 = (1 − β1²)·C, s_2 = (1 − β2²)·C²,
            // with β rounded to float as the optimizer's fused kernel runs it (AdamW)
            double b1 = (float) 0.9;
            double b2 = (float) 0.999;
            NDArray[] moments = sara.optimizer().moments(t.values());
            float[] first = moments[0].toFloatArray();
            float[] second = moments[1].toFloatArray();
            for (int k = 0; k < expected.size(); k++) {
                double c = C[expected.get(k).intValue()];
                assertThat(first[k]).isCloseTo((float) ((1 - b1 * b1) * c), within(1e-7f));
                assertThat(second[k]).isCloseTo((float) ((1 - b2 * b2) * c * c), within(1e-9f));
            }

            // step 3 moves only M2, continuing Adam with t = 3 and the carried moments
            step(sara, l);
            float[] afterThree = l.weight().data().toFloatArray();
            for (long i : m) {
                int ii = (int) i;
                if (expected.contains(i)) {
                    double c = C[ii];
                    double m3 = (1 - Math.pow(0.9, 3)) * c;
                    double s3 = (1 - Math.pow(0.999, 3)) * c * c;
                    double update = LR * (m3 / (1 - Math.pow(0.9, 3))) / (Math.sqrt(s3 / (1 - Math.pow(0.999, 3))) + 1e-8);
                    assertThat((double) afterThree[ii]).as("entry " + i).isCloseTo(afterTwo[ii] - update, within(1e-6));
                } else {
                    assertThat(afterThree[ii]).as("frozen entry " + i).isEqualTo(afterTwo[ii]);
                }
            }
            // the adapter still covers every changed position, including the frozen ones
            try (SparseAdapter adapter = sara.toAdapter(manager)) {
                SparseAdapter.Entry e = adapter.entries().get("weight");
                assertThat(longs(e.positions())).containsExactly(m);
                float[] delta = e.delta().toFloatArray();
                for (int k = 0; k < m.length; k++) {
                    assertThat(delta[k]).isEqualTo(afterThree[(int) m[k]] - W[(int) m[k]]);
                }
            }
        }
    }

    @Test
    void disabledWhenZeroOrNegative() {
        for (long off : new long[] {0, -1}) {
            Linear l = layer();
            try (Sara sara = Sara.attach(l, config(off))) {
                long before = sara.trainableCount();
                for (int i = 0; i < 6; i++) {
                    step(sara, l);
                }
                assertThat(sara.trainableCount()).isEqualTo(before);
            }
        }
    }

    @Test
    void defaultsToHalfThePlannedSteps() {
        SaraConfig planned = SaraConfig.builder().setThreshold(THETA).optTotalSteps(5000).build();
        assertThat(planned.resolvedProgressiveIter()).isEqualTo(2500);
        assertThat(SaraConfig.threshold(THETA).resolvedProgressiveIter()).isZero(); // no plan: off
    }
}
