package io.sara4j.diffusion.unet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.Ref64;
import org.junit.jupiter.api.Test;

class TimestepsTest extends EngineTestBase {

    /**
     * The float64 definition: f_j = exp(−ln(10000)·j/(half − shift)), [sin(t·f) | cos(t·f)],
     * halves swapped with flip, a zero column for odd widths.
     */
    static Ref64 reference(double[] t, int channels, boolean flip, double shift) {
        int half = channels / 2;
        double[] out = new double[t.length * channels];
        for (int b = 0; b < t.length; b++) {
            for (int j = 0; j < half; j++) {
                double arg = t[b] * Math.exp(-Math.log(10000) * j / (half - shift));
                double sin = Math.sin(arg);
                double cos = Math.cos(arg);
                out[b * channels + j] = flip ? cos : sin;
                out[b * channels + half + j] = flip ? sin : cos;
            }
        }
        return new Ref64(out, t.length, channels);
    }

    // float32 rounding of t·f grows with t (about t·6e-8 absolute in the argument), so the
    // float64 comparison uses small timesteps; the parity fixture covers t = 500 against diffusers.
    @Test
    void matchesFloat64ReferenceForIntegerTimesteps() {
        NDArray t = manager.create(new long[] {0, 1, 3, 9});
        for (boolean flip : new boolean[] {true, false}) {
            for (double shift : new double[] {0, 1}) {
                NDArray out = new Timesteps(16, flip, shift).forward(t);
                assertThat(out.getDataType()).isEqualTo(DataType.FLOAT32);
                assertMatches(out, reference(new double[] {0, 1, 3, 9}, 16, flip, shift));
            }
        }
    }

    @Test
    void acceptsFractionalTimestepsAndOddWidths() {
        NDArray t = manager.create(new double[] {0.25, 2.5, 7.75});
        NDArray out = new Timesteps(9, true, 0).forward(t);
        assertMatches(out, reference(new double[] {0.25, 2.5, 7.75}, 9, true, 0));
        assertThat(out.get(":, 8").toFloatArray()).containsOnly(0f);
    }

    @Test
    void staysInTheInputsManagerAndHasNoKeys() {
        Timesteps timesteps = new Timesteps(8, true, 0);
        assertThat(timesteps.namedParameters()).isEmpty();
        try (var scope = manager.newSubManager()) {
            NDArray t = scope.create(new long[] {5});
            assertThat(timesteps.forward(t).getManager()).isSameAs(scope);
        }
    }

    @Test
    void rejectsNonVectorTimesteps() {
        assertThatThrownBy(() -> new Timesteps(8, true, 0).forward(manager.zeros(new Shape(2, 1))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1-D");
    }
}
