package io.sara4j.diffusion.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.pipeline.SeededNoise;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PruningStudyTest {
    @Test
    void relativeChangeMatchesAFloat64RecomputationAndWeightsAreRestored() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            int n = 5;
            double[] w = Tensors.uniform(new Random(3), n * n, 0.1);
            double[] b = Tensors.uniform(new Random(4), n, 0.1);
            Linear layer = new Linear(m, n, n, true);
            layer.weight().copyFrom(Tensors.float32(m, w, new Shape(n, n)));
            layer.bias().copyFrom(Tensors.float32(m, b, new Shape(n)));
            float[] before = layer.weight().data().toFloatArray();
            NDArray conditioning = m.zeros(new Shape(3, 1, 1));
            List<Double> thetas = List.of(0.0, 0.03, 1.0);
            List<PruningStudy.Result> results = PruningStudy.run(layer, (x, t, c) -> layer.forward(x), conditioning,
                    new Shape(n), 1000, thetas, 11);

            double[] x = Tensors.toDoubles(new SeededNoise(11).normal(m, new Shape(3, n)));
            double[] wf = Tensors.roundToFloat(w);
            double[] bf = Tensors.roundToFloat(b);
            double[] reference = affine(x, wf, bf, n, 0);
            for (int r = 0; r < thetas.size(); r++) {
                double theta = thetas.get(r);
                double[] pruned = affine(x, wf, bf, n, theta);
                double diff = 0;
                double ref = 0;
                for (int i = 0; i < pruned.length; i++) {
                    diff += Math.pow(pruned[i] - reference[i], 2);
                    ref += reference[i] * reference[i];
                }
                long count = 0;
                for (double v : concat(wf, bf)) {
                    count += Math.abs((float) v) < (float) theta ? 1 : 0;
                }
                PruningStudy.Result result = results.get(r);
                assertThat(result.theta()).isEqualTo(theta);
                assertThat(result.pruned()).isEqualTo(count);
                assertThat(result.fraction()).isEqualTo((double) count / (n * n + n));
                assertThat(result.relativeChange()).isCloseTo(Math.sqrt(diff / ref), within(1e-5));
            }
            assertThat(results.get(0).relativeChange()).isZero();
            assertThat(results.get(2).relativeChange()).isCloseTo(1.0, within(1e-6)); // everything zeroed
            assertThat(layer.weight().data().toFloatArray()).containsExactly(before);
        }
    }

    /** x·Wᵀ + b with every |entry| < theta of W and b set to zero, in float64. */
    private static double[] affine(double[] x, double[] w, double[] b, int n, double theta) {
        int batch = x.length / n;
        double[] out = new double[x.length];
        for (int s = 0; s < batch; s++) {
            for (int o = 0; o < n; o++) {
                double acc = Math.abs((float) b[o]) < (float) theta ? 0 : b[o];
                for (int i = 0; i < n; i++) {
                    double wi = Math.abs((float) w[o * n + i]) < (float) theta ? 0 : w[o * n + i];
                    acc += x[s * n + i] * wi;
                }
                out[s * n + o] = acc;
            }
        }
        return out;
    }

    private static double[] concat(double[] a, double[] b) {
        double[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
