package io.sara4j.core.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.testing.Tensors;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link GroupNorm} against float64 loops (forward and hand-derived backward), and its float64
 * autograd gradients against central finite differences.
 */
class GroupNormTest {
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
     * Float64 group norm of x (N, C, S) flattened, with the standard backward: for a group of m
     * values with x̂ = (x − μ)/σ and g = dy·w, dx = (g − mean(g) − x̂·mean(g·x̂))/σ.
     */
    record Reference(double[] y, double[] gx, double[] gw, double[] gb) {
        static Reference of(int n, int c, int spatial, int groups, double eps, double[] x, double[] w, double[] b,
                double[] dy) {
            int perGroup = c / groups;
            int m = perGroup * spatial;
            double[] y = new double[x.length];
            double[] gx = new double[x.length];
            double[] gw = new double[c];
            double[] gb = new double[c];
            for (int s = 0; s < n; s++) {
                for (int g = 0; g < groups; g++) {
                    int start = (s * c + g * perGroup) * spatial; // a group is contiguous in (N, C, S)
                    double mean = 0;
                    for (int i = 0; i < m; i++) {
                        mean += x[start + i];
                    }
                    mean /= m;
                    double var = 0;
                    for (int i = 0; i < m; i++) {
                        var += (x[start + i] - mean) * (x[start + i] - mean);
                    }
                    var /= m; // biased
                    double sigma = Math.sqrt(var + eps);
                    double meanG = 0;
                    double meanGXhat = 0;
                    for (int i = 0; i < m; i++) {
                        int channel = g * perGroup + i / spatial;
                        double xhat = (x[start + i] - mean) / sigma;
                        y[start + i] = xhat * w[channel] + b[channel];
                        double gi = dy[start + i] * w[channel];
                        meanG += gi / m;
                        meanGXhat += gi * xhat / m;
                        gw[channel] += dy[start + i] * xhat;
                        gb[channel] += dy[start + i];
                    }
                    for (int i = 0; i < m; i++) {
                        int channel = g * perGroup + i / spatial;
                        double xhat = (x[start + i] - mean) / sigma;
                        gx[start + i] = (dy[start + i] * w[channel] - meanG - xhat * meanGXhat) / sigma;
                    }
                }
            }
            return new Reference(y, gx, gw, gb);
        }
    }

    private void checkAgainstReference(Shape shape, int groups, float eps, double offset, long seed) {
        Random r = new Random(seed);
        int n = (int) shape.get(0);
        int c = (int) shape.get(1);
        int spatial = (int) (shape.size() / n / c);
        double[] x = Tensors.normal(r, (int) shape.size());
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (x[i] * 2 + offset);
        }
        double[] w = Tensors.normal(r, c);
        double[] b = Tensors.normal(r, c);
        double[] dy = Tensors.normal(r, x.length);
        GroupNorm norm = new GroupNorm(manager, groups, c, eps);
        norm.weight().copyFrom(Tensors.float32(manager, w, new Shape(c)));
        norm.bias().copyFrom(Tensors.float32(manager, b, new Shape(c)));
        norm.weight().data().setRequiresGradient(true);
        norm.bias().data().setRequiresGradient(true);
        NDArray xs = Tensors.float32(manager, x, shape);
        xs.setRequiresGradient(true);

        NDArray y = Tensors.forwardBackward(() -> norm.forward(xs), dy);

        Reference ref = Reference.of(n, c, spatial, groups, eps, x, w, b, dy);
        assertThat(y.getShape()).isEqualTo(shape);
        Tensors.assertClose("y", Tensors.toDoubles(y), ref.y, 1e-5);
        Tensors.assertClose("dx", Tensors.toDoubles(xs.getGradient()), ref.gx, 1e-4);
        Tensors.assertClose("dweight", Tensors.toDoubles(norm.weight().data().getGradient()), ref.gw, 1e-4);
        Tensors.assertClose("dbias", Tensors.toDoubles(norm.bias().data().getGradient()), ref.gb, 1e-4);
    }

    @Test
    void matchesFloat64LoopsOnImages() {
        checkAgainstReference(new Shape(2, 6, 3, 4), 3, 1e-5f, 0, 1);
    }

    @Test
    void matchesFloat64LoopsWithOneChannelPerGroupAndOneGroup() {
        checkAgainstReference(new Shape(1, 4, 2, 3), 4, 1e-6f, 0, 2);
        checkAgainstReference(new Shape(2, 4, 3, 2), 1, 1e-6f, 0, 3);
    }

    @Test
    void matchesFloat64LoopsOnSequencesAndOffsetInputs() {
        // (N, C, L) as in 1-D blocks; an offset of 50 checks the variance is taken about the mean
        checkAgainstReference(new Shape(2, 8, 5), 4, 1e-5f, 50, 4);
    }

    @Test
    void epsilonEntersUnderTheSquareRoot() {
        // a constant group has zero variance: the output is (x − μ)/√eps · w + b = b exactly
        GroupNorm norm = new GroupNorm(manager, 2, 4, 1e-2f);
        norm.bias().copyFrom(manager.create(new float[] {1, 2, 3, 4}));
        float[] x = {5, 5, 5, 5, 0, 2, 0, 2}; // group 0 constant; group 1 has variance 1
        NDArray y = norm.forward(manager.create(x, new Shape(1, 4, 2)));
        double s = Math.sqrt(1 + 1e-2);
        Tensors.assertClose("y", Tensors.toDoubles(y),
                new double[] {1, 1, 2, 2, 3 - 1 / s, 3 + 1 / s, 4 - 1 / s, 4 + 1 / s}, 1e-6);
    }

    @Test
    void float64GradientsMatchCentralDifferences() {
        Random r = new Random(5);
        Shape shape = new Shape(2, 4, 3, 3);
        int c = 4;
        int groups = 2;
        float eps = 1e-5f;
        double[] x = Tensors.normal(r, (int) shape.size());
        double[] w = Tensors.uniform(r, c, 2);
        double[] b = Tensors.uniform(r, c, 2);
        double[] dy = Tensors.normal(r, x.length);

        GroupNorm norm = new GroupNorm(manager, groups, c, eps);
        norm.convertTo(DataType.FLOAT64);
        norm.weight().copyFrom(Tensors.float64(manager, w, new Shape(c)));
        norm.bias().copyFrom(Tensors.float64(manager, b, new Shape(c)));
        norm.weight().data().setRequiresGradient(true);
        norm.bias().data().setRequiresGradient(true);
        NDArray xs = Tensors.float64(manager, x, shape);
        xs.setRequiresGradient(true);
        NDArray y = Tensors.forwardBackward(() -> norm.forward(xs), dy);
        assertThat(y.getDataType()).isEqualTo(DataType.FLOAT64);

        LossFunction loss = (xv, wv, bv) -> {
            try (NDManager sub = manager.newSubManager()) {
                NDArray out = GroupNorm.groupNorm(Tensors.float64(sub, xv, shape), groups,
                        Tensors.float64(sub, wv, new Shape(c)), Tensors.float64(sub, bv, new Shape(c)), eps);
                return Tensors.weightedSum(out, dy);
            }
        };
        double h = 1e-6;
        int[] xi = Tensors.sampleIndices(r, x.length, 24);
        int[] all = {0, 1, 2, 3};
        double[] fdX = Tensors.centralDifferences(v -> loss.apply(v, w, b), x.clone(), xi, h);
        double[] fdW = Tensors.centralDifferences(v -> loss.apply(x, v, b), w.clone(), all, h);
        double[] fdB = Tensors.centralDifferences(v -> loss.apply(x, w, v), b.clone(), all, h);
        Tensors.assertClose("dx vs finite differences",
                Tensors.gather(Tensors.toDoubles(xs.getGradient()), xi), fdX, 1e-6);
        Tensors.assertClose("dweight vs finite differences",
                Tensors.toDoubles(norm.weight().data().getGradient()), fdW, 1e-6);
        Tensors.assertClose("dbias vs finite differences",
                Tensors.toDoubles(norm.bias().data().getGradient()), fdB, 1e-6);
    }

    @Test
    void keysAndValidation() {
        GroupNorm norm = new GroupNorm(manager, 2, 4, 1e-6f);
        assertThat(norm.namedParameters()).containsOnlyKeys("weight", "bias");
        assertThatThrownBy(() -> new GroupNorm(manager, 3, 4, 1e-6f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("num_groups=3");
    }

    /** The scalar loss sum(groupNorm(x; w, b) ⊙ dy) as a function of all three inputs. */
    @FunctionalInterface
    private interface LossFunction {
        double apply(double[] x, double[] w, double[] b);
    }
}
