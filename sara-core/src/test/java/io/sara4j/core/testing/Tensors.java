package io.sara4j.core.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

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
        return manager.create(f, shape);
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
}
