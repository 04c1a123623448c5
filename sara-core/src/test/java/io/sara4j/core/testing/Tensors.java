package io.sara4j.core.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.HostArrays;
import java.util.Random;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Test helpers shared by every module's tests: seeded random inputs built on the Java side (so
 * the float64 reference and the engine see exactly the same numbers) and comparisons against
 * float64 references.
 */
public final class Tensors {
    private Tensors() {}

    /** Uniform values in [-scale, scale), drawn from {@code random}, as doubles. */
    public static double[] uniform(Random random, int n, double scale) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = (random.nextDouble() * 2 - 1) * scale;
        }
        return out;
    }

    /** Standard normal values drawn from {@code random}, rounded to float so both sides agree. */
    public static double[] normal(Random random, int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) random.nextGaussian();
        }
        return out;
    }

    /** A float32 array holding {@code values} (rounded to float). */
    public static NDArray float32(NDManager manager, double[] values, Shape shape) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return HostArrays.of(manager, f, shape);
    }

    /** The values of {@code array} widened to double (row-major). */
    public static double[] toDoubles(NDArray array) {
        return array.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** Rounds every value to float precision (what the engine sees after {@link #float32}). */
    public static double[] roundToFloat(double[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    /**
     * The largest element-wise error relative to the magnitude of the reference:
     * max|a − e| / max(max|e|, tiny). Robust when individual reference values are near zero.
     */
    public static double maxRelativeError(double[] actual, double[] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError("length " + actual.length + " != expected " + expected.length);
        }
        double maxErr = 0;
        double maxRef = 1e-30;
        for (int i = 0; i < actual.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(actual[i] - expected[i]));
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
        }
        return maxErr / maxRef;
    }

    /** A float64 array holding exactly {@code values}. */
    public static NDArray float64(NDManager manager, double[] values, Shape shape) {
        return HostArrays.of(manager, values, shape);
    }

    /**
     * Runs {@code forward} inside a {@link GradientCollector} and back-propagates the scalar loss
     * sum(y ⊙ c), so that dLoss/dy = c; returns y. Arrays whose gradient is wanted must have
     * {@code setRequiresGradient(true)} before the call.
     *
     * @param c the loss weights, row-major in y's shape (converted to y's data type)
     */
    public static NDArray forwardBackward(Supplier<NDArray> forward, double[] c) {
        try (GradientCollector gc = Engines.pytorch().newGradientCollector()) {
            NDArray y = forward.get();
            if (y.getShape().size() != c.length) {
                throw new AssertionError("output " + y.getShape() + " has " + y.getShape().size()
                        + " values, loss weights have " + c.length);
            }
            NDArray weights = HostArrays.of(y.getManager(), c, y.getShape()).toType(y.getDataType(), false);
            gc.backward(y.mul(weights).sum());
            return y;
        }
    }

    /** sum(y ⊙ c) computed in float64 from y's values: the loss of {@link #forwardBackward}. */
    public static double weightedSum(NDArray y, double[] c) {
        double[] v = toDoubles(y);
        double s = 0;
        for (int i = 0; i < v.length; i++) {
            s += v[i] * c[i];
        }
        return s;
    }

    /**
     * Central finite differences (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h of a scalar function at the
     * coordinates {@code indices} of {@code x}; {@code x} is restored afterwards.
     */
    public static double[] centralDifferences(ToDoubleFunction<double[]> f, double[] x, int[] indices, double h) {
        double[] out = new double[indices.length];
        for (int k = 0; k < indices.length; k++) {
            int i = indices[k];
            double saved = x[i];
            x[i] = saved + h;
            double plus = f.applyAsDouble(x);
            x[i] = saved - h;
            double minus = f.applyAsDouble(x);
            x[i] = saved;
            out[k] = (plus - minus) / (2 * h);
        }
        return out;
    }

    /** {@code count} distinct indices in [0, n) drawn from {@code random} (all of them if count ≥ n). */
    public static int[] sampleIndices(Random random, int n, int count) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        int m = Math.min(n, count);
        for (int i = 0; i < m; i++) {
            int j = i + random.nextInt(n - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return java.util.Arrays.copyOf(all, m);
    }

    /** The values of {@code values} at {@code indices}. */
    public static double[] gather(double[] values, int[] indices) {
        double[] out = new double[indices.length];
        for (int k = 0; k < indices.length; k++) {
            out[k] = values[indices[k]];
        }
        return out;
    }

    /**
     * Fails, naming {@code what} and the worst element, unless
     * {@link #maxRelativeError(double[], double[])} is at most {@code tolerance}.
     */
    public static void assertClose(String what, double[] actual, double[] expected, double tolerance) {
        double err = maxRelativeError(actual, expected);
        if (!(err <= tolerance)) {
            int worst = 0;
            for (int i = 0; i < actual.length; i++) {
                if (!(Math.abs(actual[i] - expected[i]) <= Math.abs(actual[worst] - expected[worst]))) {
                    worst = i;
                }
            }
            throw new AssertionError(String.format(java.util.Locale.ROOT,
                    "%s: max relative error %.3g > %.1g; worst at flat index %d: actual %.9g, expected %.9g",
                    what, err, tolerance, worst, actual[worst], expected[worst]));
        }
    }
}
