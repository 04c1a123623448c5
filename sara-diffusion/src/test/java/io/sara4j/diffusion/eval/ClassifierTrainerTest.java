package io.sara4j.diffusion.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.data.shapes.ShapesSpec;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.testing.EngineTestBase;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ClassifierTrainerTest extends EngineTestBase {
    @Test
    void crossEntropyMatchesAFloat64Reference() {
        double[] z = Tensors.uniform(new Random(1), 3 * 5, 4.0);
        int[] y = {4, 0, 2};
        double expected = 0;
        for (int b = 0; b < 3; b++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < 5; k++) {
                max = Math.max(max, z[b * 5 + k]);
            }
            double sum = 0;
            for (int k = 0; k < 5; k++) {
                sum += Math.exp(z[b * 5 + k] - max);
            }
            expected -= z[b * 5 + y[b]] - max - Math.log(sum);
        }
        expected /= 3;
        NDArray logits = Tensors.float32(manager, Tensors.roundToFloat(z), new Shape(3, 5));
        assertThat(ClassifierTrainer.crossEntropy(logits, y).getFloat()).isCloseTo((float) expected,
                within(1e-5f));
        assertThatThrownBy(() -> ClassifierTrainer.crossEntropy(logits, new int[] {0, 5, 1}))
                .hasMessageContaining("target 5 at row 1");
    }

    @Test
    void crossEntropyGradientSurvivesAGarbageCollectionBeforeBackward() throws Exception {
        // d/dz of the mean cross-entropy is (softmax(z) − onehot(y)) / B. DJL builds the scalar of
        // mul(Number)/div(Number) on a Java buffer that autograd keeps but the collector may free:
        // collect and churn direct buffers between forward and backward to catch such a use.
        double[] z = Tensors.uniform(new Random(2), 4 * 3, 2.0);
        int[] y = {2, 0, 1, 1};
        NDArray logits = Tensors.float32(manager, Tensors.roundToFloat(z), new Shape(4, 3));
        logits.setRequiresGradient(true);
        try (GradientCollector collector = Engines.pytorch().newGradientCollector()) {
            NDArray loss = ClassifierTrainer.crossEntropy(logits, y);
            for (int round = 0; round < 3; round++) {
                System.gc();
                List<ByteBuffer> churn = new ArrayList<>();
                for (int i = 0; i < 5000; i++) {
                    churn.add(ByteBuffer.allocateDirect(8).putFloat(0, Float.NaN));
                }
                Thread.sleep(20);
            }
            collector.backward(loss);
        }
        double[] expected = new double[12];
        double[] zf = Tensors.roundToFloat(z);
        for (int b = 0; b < 4; b++) {
            double sum = 0;
            for (int k = 0; k < 3; k++) {
                sum += Math.exp(zf[b * 3 + k]);
            }
            for (int k = 0; k < 3; k++) {
                expected[b * 3 + k] = (Math.exp(zf[b * 3 + k]) / sum - (k == y[b] ? 1 : 0)) / 4;
            }
        }
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(logits.getGradient()), expected)).isLessThan(1e-5);
    }

    @Test
    void aFewStepsLowerTheLossAndTheSameSeedGivesTheSameWeights() {
        ClassifierTrainer.Settings settings = new ClassifierTrainer.Settings(60, 16, 1e-2, 7, 0.1, 64, 1);
        List<Double> losses = new ArrayList<>();
        ShapesClassifier a = new ClassifierTrainer(ShapesClassifierTest.TINY, settings)
                .train(manager, (r, total, pace) -> losses.add(r.loss()));
        assertThat(losses).hasSize(60);
        double first = (losses.get(0) + losses.get(1) + losses.get(2)) / 3;
        double last = (losses.get(57) + losses.get(58) + losses.get(59)) / 3;
        assertThat(last).as("loss %s", losses).isLessThan(0.85 * first);
        assertThat(a.isTraining()).isFalse();
        assertThat(a.namedParameters().values()).allSatisfy(p -> assertThat(p.data().hasGradient()).isFalse());

        ShapesClassifier b = new ClassifierTrainer(ShapesClassifierTest.TINY, settings).train(manager, (r, t, p) -> {});
        a.stateDict().forEach((name, w) -> assertThat(b.stateDict().get(name).toFloatArray()).as(name)
                .containsExactly(w.toFloatArray()));
    }

    @Test
    void validationSpecsCoverEveryStyleAndHeldOutCombinations() {
        Map<Style, List<ShapesSpec>> specs = ClassifierTrainer.validationSpecs(60, 3, 32);
        assertThat(specs.keySet()).containsExactly(Style.values());
        specs.forEach((style, list) -> {
            assertThat(list).hasSize(60).allSatisfy(s -> assertThat(s.style()).isEqualTo(style));
            assertThat(list.stream().map(ShapesSpec::shape).distinct()).hasSize(6);
            assertThat(list.stream().map(ShapesSpec::colour).distinct()).hasSize(8);
        });
        assertThat(ClassifierTrainer.validationSpecs(60, 3, 32)).isEqualTo(specs);
    }
}
