package io.sara4j.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.testing.Tensors;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Resampling}: nearest 2× upsampling and 2×2 average pooling against float64 loops with
 * gradients. (Strided-convolution downsampling is covered in {@link Conv2dTest}.)
 */
class ResamplingTest {
    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = Engines.pytorch().newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void nearestUpsamplingCopiesEachValueIntoATwoByTwoBlock() {
        int n = 2, c = 3, h = 3, w = 4;
        Random r = new Random(1);
        double[] x = Tensors.normal(r, n * c * h * w);
        double[] dy = Tensors.normal(r, n * c * 4 * h * w);
        NDArray xs = Tensors.float32(manager, x, new Shape(n, c, h, w));
        xs.setRequiresGradient(true);

        NDArray y = Tensors.forwardBackward(() -> Resampling.upsampleNearest2x(xs), dy);

        double[] yRef = new double[dy.length];
        double[] gx = new double[x.length];
        for (int p = 0; p < n * c; p++) {
            for (int i = 0; i < 2 * h; i++) {
                for (int j = 0; j < 2 * w; j++) {
                    int src = (p * h + i / 2) * w + j / 2; // out[i][j] = in[floor(i/2)][floor(j/2)]
                    int dst = (p * 2 * h + i) * 2 * w + j;
                    yRef[dst] = x[src];
                    gx[src] += dy[dst];
                }
            }
        }
        assertThat(y.getShape()).isEqualTo(new Shape(n, c, 2 * h, 2 * w));
        Tensors.assertClose("y", Tensors.toDoubles(y), yRef, 0);
        Tensors.assertClose("dx", Tensors.toDoubles(xs.getGradient()), gx, 1e-6);
    }

    @Test
    void averagePoolingTakesTheMeanOfEachBlockAndFloorsOddSizes() {
        // W = 7 is odd: as in F.avg_pool2d, the last column belongs to no window and gets no gradient
        int n = 2, c = 2, h = 4, w = 7;
        int oh = h / 2, ow = w / 2;
        Random r = new Random(2);
        double[] x = Tensors.normal(r, n * c * h * w);
        double[] dy = Tensors.normal(r, n * c * oh * ow);
        NDArray xs = Tensors.float32(manager, x, new Shape(n, c, h, w));
        xs.setRequiresGradient(true);

        NDArray y = Tensors.forwardBackward(() -> Resampling.avgPool2x(xs), dy);

        double[] yRef = new double[dy.length];
        double[] gx = new double[x.length];
        for (int p = 0; p < n * c; p++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int dst = (p * oh + i) * ow + j;
                    for (int di = 0; di < 2; di++) {
                        for (int dj = 0; dj < 2; dj++) {
                            int src = (p * h + 2 * i + di) * w + 2 * j + dj;
                            yRef[dst] += x[src] / 4;
                            gx[src] += dy[dst] / 4;
                        }
                    }
                }
            }
        }
        assertThat(y.getShape()).isEqualTo(new Shape(n, c, oh, ow));
        Tensors.assertClose("y", Tensors.toDoubles(y), yRef, 1e-6);
        Tensors.assertClose("dx", Tensors.toDoubles(xs.getGradient()), gx, 1e-6);
    }

    @Test
    void poolingUndoesUpsampling() {
        NDArray x = manager.randomNormal(new Shape(1, 2, 3, 5));
        NDArray roundTrip = Resampling.avgPool2x(Resampling.upsampleNearest2x(x));
        Tensors.assertClose("avgPool(upsample(x))", Tensors.toDoubles(roundTrip), Tensors.toDoubles(x), 1e-7);
    }
}
