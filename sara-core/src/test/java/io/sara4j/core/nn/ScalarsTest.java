package io.sara4j.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class ScalarsTest {
    @Test
    void valuesMatchTheArithmeticInBothPrecisions() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            NDArray x = HostArrays.of(m, new float[] {1.5f, -2f, 4f});
            assertThat(Scalars.mul(x, 3).toFloatArray()).containsExactly(4.5f, -6f, 12f);
            assertThat(Scalars.div(x, 2).toFloatArray()).containsExactly(0.75f, -1f, 2f);
            assertThat(Scalars.pow(x, 2).toFloatArray()).containsExactly(2.25f, 4f, 16f);
            NDArray wide = HostArrays.of(m, new double[] {1, 2}, new Shape(2));
            double third = 1.0 / 3;
            assertThat(Scalars.mul(wide, third).toDoubleArray()).containsExactly(third, 2 * third);
            assertThat(Scalars.of(wide, third).getDataType()).isEqualTo(DataType.FLOAT64);
            assertThat(Scalars.of(x, 1).getShape()).isEqualTo(new Shape());
        }
    }

    /**
     * The hazard these helpers avoid: a constant that autograd keeps for backward must outlive the
     * forward pass. A garbage collection (and fresh direct buffers) between forward and backward
     * must not change the gradient.
     */
    @Test
    void gradientsSurviveAGarbageCollectionBetweenForwardAndBackward() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            for (int i = 0; i < 40; i++) {
                try (NDManager step = m.newSubManager()) {
                    NDArray x = step.ones(new Shape(4));
                    x.setRequiresGradient(true);
                    try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
                        NDArray y = Scalars.div(Scalars.mul(x, 3), 0.5).add(Scalars.pow(x, 2)).sum();
                        System.gc();
                        for (int j = 0; j < 64; j++) {
                            java.nio.ByteBuffer.allocateDirect(64).putFloat(0, 1e30f);
                        }
                        gc.backward(y);
                    }
                    // d/dx (3x/0.5 + x²) at 1 = 6 + 2
                    assertThat(x.getGradient().toFloatArray()).as("iteration %d", i).containsOnly(8f);
                }
            }
        }
    }
}
