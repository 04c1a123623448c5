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

/** {@link LayerNorm} with and without affine parameters against float64 loops with gradients. */
class LayerNormTest {
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
     * Float64 layer norm over rows of width d, with the standard backward
     * dx = (g − mean(g) − x̂·mean(g·x̂))/σ where g = dy·w (w = 1 without affine parameters).
     */
    record Reference(double[] y, double[] gx, double[] gw, double[] gb) {
        static Reference of(int d, double eps, double[] x, double[] w, double[] b, double[] dy) {
            int rows = x.length / d;
            double[] y = new double[x.length];
            double[] gx = new double[x.length];
            double[] gw = new double[d];
            double[] gb = new double[d];
            for (int row = 0; row < rows; row++) {
                int o = row * d;
                double mean = 0;
                for (int i = 0; i < d; i++) {
                    mean += x[o + i] / d;
                }
                double var = 0;
                for (int i = 0; i < d; i++) {
                    var += (x[o + i] - mean) * (x[o + i] - mean) / d;
                }
                double sigma = Math.sqrt(var + eps);
                double meanG = 0;
                double meanGXhat = 0;
                for (int i = 0; i < d; i++) {
                    double xhat = (x[o + i] - mean) / sigma;
                    double scale = w == null ? 1 : w[i];
                    y[o + i] = xhat * scale + (b == null ? 0 : b[i]);
                    meanG += dy[o + i] * scale / d;
                    meanGXhat += dy[o + i] * scale * xhat / d;
                    gw[i] += dy[o + i] * xhat;
                    gb[i] += dy[o + i];
                }
                for (int i = 0; i < d; i++) {
                    double xhat = (x[o + i] - mean) / sigma;
                    double scale = w == null ? 1 : w[i];
                    gx[o + i] = (dy[o + i] * scale - meanG - xhat * meanGXhat) / sigma;
                }
            }
            return new Reference(y, gx, gw, gb);
        }
    }

    private void check(boolean affine, Shape shape, float eps, long seed) {
        Random r = new Random(seed);
        int d = (int) shape.get(shape.dimension() - 1);
        double[] x = Tensors.normal(r, (int) shape.size());
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (3 * x[i] - 1);
        }
        double[] w = affine ? Tensors.normal(r, d) : null;
        double[] b = affine ? Tensors.normal(r, d) : null;
        double[] dy = Tensors.normal(r, x.length);
        LayerNorm norm = new LayerNorm(manager, d, eps, affine);
        if (affine) {
            norm.weight().copyFrom(Tensors.float32(manager, w, new Shape(d)));
            norm.bias().copyFrom(Tensors.float32(manager, b, new Shape(d)));
            norm.weight().data().setRequiresGradient(true);
            norm.bias().data().setRequiresGradient(true);
        }
        NDArray xs = Tensors.float32(manager, x, shape);
        xs.setRequiresGradient(true);

        NDArray y = Tensors.forwardBackward(() -> norm.forward(xs), dy);

        Reference ref = Reference.of(d, eps, x, w, b, dy);
        assertThat(y.getShape()).isEqualTo(shape);
        Tensors.assertClose("y", Tensors.toDoubles(y), ref.y, 1e-5);
        Tensors.assertClose("dx", Tensors.toDoubles(xs.getGradient()), ref.gx, 1e-4);
        if (affine) {
            Tensors.assertClose("dweight", Tensors.toDoubles(norm.weight().data().getGradient()), ref.gw, 1e-4);
            Tensors.assertClose("dbias", Tensors.toDoubles(norm.bias().data().getGradient()), ref.gb, 1e-4);
        }
    }

    @Test
    void affineMatchesFloat64LoopsWithGradients() {
        check(true, new Shape(2, 3, 8), 1e-5f, 1);
    }

    @Test
    void withoutAffineMatchesFloat64LoopsWithGradients() {
        check(false, new Shape(4, 6), 1e-6f, 2);
    }

    @Test
    void affineParametersAreOptionalKeys() {
        LayerNorm withAffine = new LayerNorm(manager, 5, 1e-5f, true);
        LayerNorm without = new LayerNorm(manager, 5, 1e-5f, false);
        assertThat(withAffine.namedParameters()).containsOnlyKeys("weight", "bias");
        assertThat(without.namedParameters()).isEmpty();
        assertThat(without.weight()).isNull();
        assertThat(without.bias()).isNull();
    }

    @Test
    void largeEpsilonIsAddedToTheVariance() {
        // row (0, 2): mean 1, biased variance 1; with eps = 3 the outputs are ∓1/√4
        LayerNorm norm = new LayerNorm(manager, 2, 3f, false);
        NDArray y = norm.forward(manager.create(new float[] {0, 2}, new Shape(1, 2)));
        Tensors.assertClose("y", Tensors.toDoubles(y), new double[] {-0.5, 0.5}, 1e-7);
    }
}
