package io.sara4j.core.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.testing.Tensors;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each {@link Activations} value and its derivative against closed forms evaluated in float64. */
class ActivationsTest {
    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = Engines.pytorch().newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /**
     * erf(x) = 2/√π · e^(−x²) · Σₙ 2ⁿ·x^(2n+1)/(1·3·…·(2n+1)) (Abramowitz–Stegun 7.1.6); every term
     * has the sign of x, so the sum has no cancellation and is accurate to double precision.
     */
    static double erf(double x) {
        if (Math.abs(x) > 6) {
            return Math.signum(x); // 1 − erf(6) < 3e-17
        }
        double term = x;
        double sum = x;
        for (int n = 1; n < 400 && Math.abs(term) > 1e-18 * Math.abs(sum); n++) {
            term *= 2 * x * x / (2 * n + 1);
            sum += term;
        }
        return 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) * sum;
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    private static DoubleUnaryOperator value(Activations a) {
        return switch (a) {
            case SILU -> x -> x * sigmoid(x);
            case GELU -> x -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case GELU_TANH -> x -> 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
            case QUICK_GELU -> x -> x * sigmoid(1.702 * x);
        };
    }

    private static DoubleUnaryOperator derivative(Activations a) {
        return switch (a) {
            case SILU -> x -> sigmoid(x) * (1 + x * (1 - sigmoid(x)));
            // Φ(x) + x·φ(x)
            case GELU -> x -> 0.5 * (1 + erf(x / Math.sqrt(2))) + x * Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
            case GELU_TANH -> x -> {
                double t = Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x));
                return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x);
            };
            case QUICK_GELU -> x -> {
                double s = sigmoid(1.702 * x);
                return s + 1.702 * x * s * (1 - s);
            };
        };
    }

    @Test
    void erfReferenceMatchesKnownValues() {
        // values from tables (15+ digits), to make sure the reference itself is right
        assertThat(erf(0)).isZero();
        assertThat(erf(0.5)).isCloseTo(0.5204998778130465, offset(1e-15));
        assertThat(erf(1)).isCloseTo(0.8427007929497149, offset(1e-15));
        assertThat(erf(-2)).isCloseTo(-0.9953222650189527, offset(1e-15));
        assertThat(erf(3.5)).isCloseTo(0.9999992569016276, offset(1e-15));
    }

    @ParameterizedTest
    @EnumSource(Activations.class)
    void matchesFloat64ClosedFormWithGradient(Activations activation) {
        Random r = new Random(activation.ordinal());
        int n = 400;
        double[] x = Tensors.roundToFloat(Tensors.uniform(r, n, 6));
        x[0] = 0;
        x[1] = -8; // tails: the GELUs and SiLU go to 0 and x there
        x[2] = 8;
        double[] c = Tensors.normal(r, n);
        NDArray xs = Tensors.float32(manager, x, new Shape(4, 100));
        xs.setRequiresGradient(true);

        NDArray y = Tensors.forwardBackward(() -> activation.apply(xs), c);

        double[] yRef = new double[n];
        double[] gRef = new double[n];
        DoubleUnaryOperator f = value(activation);
        DoubleUnaryOperator df = derivative(activation);
        for (int i = 0; i < n; i++) {
            yRef[i] = f.applyAsDouble(x[i]);
            gRef[i] = c[i] * df.applyAsDouble(x[i]);
        }
        assertThat(y.getShape()).isEqualTo(new Shape(4, 100));
        Tensors.assertClose(activation + " y", Tensors.toDoubles(y), yRef, 1e-5);
        Tensors.assertClose(activation + " dx", Tensors.toDoubles(xs.getGradient()), gRef, 1e-4);
    }

    @Test
    void theTwoGelusAreDistinguishable() {
        // at x = -1.5 exact and tanh GELU differ by about 3e-4, well above float32 resolution
        NDArray x = manager.create(new float[] {-1.5f});
        double exact = Activations.GELU.apply(x).getFloat();
        double tanh = Activations.GELU_TANH.apply(x).getFloat();
        assertThat(exact).isCloseTo(value(Activations.GELU).applyAsDouble(-1.5), offset(1e-7));
        assertThat(tanh).isCloseTo(value(Activations.GELU_TANH).applyAsDouble(-1.5),
                offset(1e-7));
        assertThat(Math.abs(exact - tanh)).isGreaterThan(1e-4);
    }

    @Test
    void resolvesConfigurationNames() {
        assertThat(Activations.fromConfigName("silu")).isEqualTo(Activations.SILU);
        assertThat(Activations.fromConfigName("swish")).isEqualTo(Activations.SILU);
        assertThat(Activations.fromConfigName("gelu")).isEqualTo(Activations.GELU);
        assertThat(Activations.fromConfigName("gelu_pytorch_tanh")).isEqualTo(Activations.GELU_TANH);
        assertThat(Activations.fromConfigName("gelu_new")).isEqualTo(Activations.GELU_TANH);
        assertThat(Activations.fromConfigName("quick_gelu")).isEqualTo(Activations.QUICK_GELU);
        assertThatThrownBy(() -> Activations.fromConfigName("relu"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'relu'").hasMessageContaining("supported: silu");
    }
}
