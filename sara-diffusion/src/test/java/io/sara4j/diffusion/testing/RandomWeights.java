package io.sara4j.diffusion.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.testing.Tensors;
import java.util.Map;
import java.util.Random;

/**
 * Overwrites every parameter of a module with values drawn on the Java side from a seeded
 * generator, so tests do not depend on the engine's generator, and every parameter matters
 * (norm scales near 1 but not 1, biases non-zero).
 */
public final class RandomWeights {
    private RandomWeights() {}

    /** Fills {@code module}'s parameters from a generator seeded with {@code seed}; returns the module. */
    public static <M extends Module> M fill(M module, long seed) {
        return fill(module, new Random(seed));
    }

    /**
     * Fills {@code module}'s parameters with the next values of {@code random} (a test may go on
     * drawing its inputs from the same generator); returns the module.
     */
    public static <M extends Module> M fill(M module, Random random) {
        for (Map.Entry<String, Parameter> e : module.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            Shape shape = p.shape();
            int n = (int) shape.size();
            double[] values;
            if (shape.dimension() == 1 && e.getKey().endsWith(".weight")) {
                values = Tensors.uniform(random, n, 0.2);         // norm scales: 1 ± 0.2
                for (int i = 0; i < n; i++) {
                    values[i] += 1;
                }
            } else if (shape.dimension() == 1) {
                values = Tensors.uniform(random, n, 0.2);         // biases and norm shifts
            } else {
                long fanIn = shape.size() / shape.get(0);
                values = Tensors.uniform(random, n, Math.sqrt(3.0 / fanIn)); // unit-variance outputs
            }
            NDManager m = p.data().getManager();
            try (NDArray tmp = Tensors.float32(m, values, shape)) {
                p.copyFrom(tmp);
            }
        }
        return module;
    }
}
