package io.sara4j.diffusion.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.testing.Tensors;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Autograd gradients of a whole model against central finite differences, in float64: proves that
 * every parameter checked is reached by backpropagation through the model's forward.
 */
public final class GradientCheck {
    private GradientCheck() {}

    /**
     * For each of {@code keys}: the autograd gradient of sum(y ⊙ c), y = {@code forward.get()}, at
     * {@code samples} random entries must match central differences within {@code tolerance}
     * (relative to the largest gradient entry checked). The module must hold FLOAT64 parameters.
     */
    public static void check(Module module, Supplier<NDArray> forward, String[] keys, int samples, long seed,
            double tolerance) {
        Random random = new Random(seed);
        NDArray probe = forward.get();
        double[] c = Tensors.uniform(random, (int) probe.getShape().size(), 1.0);
        for (String key : keys) {
            Parameter p = module.namedParameters().get(key);
            if (p == null) {
                throw new AssertionError("no parameter " + key);
            }
            p.data().setRequiresGradient(true);
            Tensors.forwardBackward(forward, c);
            double[] grad = Tensors.toDoubles(p.data().getGradient());
            p.data().setRequiresGradient(false);

            double[] values = Tensors.toDoubles(p.data());
            NDManager owner = p.data().getManager();
            int[] indices = Tensors.sampleIndices(random, values.length, samples);
            double[] numeric = Tensors.centralDifferences(x -> {
                p.copyFrom(Tensors.float64(owner, x, p.shape()));
                return Tensors.weightedSum(forward.get(), c);
            }, values, indices, 1e-6);
            p.copyFrom(Tensors.float64(owner, values, p.shape()));
            Tensors.assertClose("d loss / d " + key, Tensors.gather(grad, indices), numeric, tolerance);
        }
    }
}
