package io.sara4j.core.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.testing.Tensors;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link Dropout}: identity in eval mode and at p = 0; inverted dropout in training. */
class DropoutTest {
    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = Engines.pytorch().newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** Values with |x| in [0.5, 1.5], so a zero in the output can only come from the mask. */
    private static double[] nonZero(Random r, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((0.5 + r.nextDouble()) * (r.nextBoolean() ? 1 : -1));
        }
        return x;
    }

    @Test
    void isTheIdentityInEvalModeAndAtZeroProbability() {
        double[] x = nonZero(new Random(1), 64);
        NDArray xs = Tensors.float32(manager, x, new Shape(4, 16));
        Dropout eval = new Dropout(0.5f);
        assertThat(eval.isTraining()).isFalse(); // modules start in eval mode
        assertThat(Tensors.toDoubles(eval.forward(xs))).containsExactly(x);
        Dropout zero = new Dropout(0f);
        zero.setTraining(true);
        assertThat(Tensors.toDoubles(zero.forward(xs))).containsExactly(x);
    }

    @Test
    void trainingZeroesAboutPAndScalesKeptValuesByExactlyOneOverOneMinusP() {
        float p = 0.3f;
        int n = 100_000;
        Random r = new Random(2);
        double[] x = nonZero(r, n);
        double[] c = Tensors.normal(r, n);
        NDArray xs = Tensors.float32(manager, x, new Shape(100, 1000));
        xs.setRequiresGradient(true);
        Dropout dropout = new Dropout(p);
        dropout.setTraining(true);
        Engines.pytorch().setRandomSeed(3);

        NDArray y = Tensors.forwardBackward(() -> dropout.forward(xs), c);

        double[] ys = Tensors.toDoubles(y);
        double[] gx = Tensors.toDoubles(xs.getGradient());
        double keptScale = 1.0 / (1.0 - p);
        int zeros = 0;
        double worstValue = 0;
        double worstGrad = 0;
        for (int i = 0; i < n; i++) {
            if (ys[i] == 0) {
                zeros++;
                assertThat(gx[i]).as("gradient of a dropped value").isZero();
            } else {
                worstValue = Math.max(worstValue, Math.abs(ys[i] / x[i] - keptScale));
                worstGrad = Math.max(worstGrad, Math.abs(gx[i] / c[i] - keptScale));
            }
        }
        // float32 products: the scale is exact up to one rounding of the value
        assertThat(worstValue).as("kept values scaled by 1/(1-p)").isLessThan(1e-6 * keptScale);
        assertThat(worstGrad).as("gradient = mask/(1-p)").isLessThan(1e-6 * keptScale);
        // binomial(n, p): standard deviation of the zero fraction is 0.0014; allow 5 of them
        assertThat((double) zeros / n).isBetween(p - 0.007, p + 0.007);
    }

    @Test
    void sameSeedGivesTheSameMask() {
        NDArray xs = manager.ones(new Shape(32, 32));
        Dropout dropout = new Dropout(0.5f);
        dropout.setTraining(true);
        Engines.pytorch().setRandomSeed(42);
        float[] first = dropout.forward(xs).toFloatArray();
        Engines.pytorch().setRandomSeed(42);
        float[] second = dropout.forward(xs).toFloatArray();
        float[] third = dropout.forward(xs).toFloatArray();
        assertThat(second).containsExactly(first);
        assertThat(third).isNotEqualTo(first);
    }

    @Test
    void trainingFlagPropagatesThroughTheModuleTree() {
        Attention attention = new Attention(manager, 4, 4, 1, 4, 0.5f, false, false);
        Dropout inner = (Dropout) attention.namedModules().get("to_out.1");
        assertThat(inner.probability()).isEqualTo(0.5f);
        attention.setTraining(true);
        assertThat(inner.isTraining()).isTrue();
        attention.setTraining(false);
        assertThat(inner.isTraining()).isFalse();
    }

    @Test
    void rejectsProbabilitiesOutsideZeroToOne() {
        assertThatThrownBy(() -> new Dropout(1f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[0, 1)");
        assertThatThrownBy(() -> new Dropout(-0.1f)).isInstanceOf(IllegalArgumentException.class);
    }
}
