package io.sara4j.diffusion.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.HostArrays;
import java.util.SplittableRandom;

/**
 * A seeded source of the Gaussian noise and random timesteps that sampling and training draw.
 *
 * <p>Drawn on the Java side rather than from the engine's global generator so that a seed fixes
 * the result whatever else the process has drawn before, and whatever the engine or device.
 * Values come from {@link SplittableRandom} with the Marsaglia polar method, so the stream is
 * fully specified by this class.
 */
public final class SeededNoise {
    private final SplittableRandom random;
    private double spare;
    private boolean hasSpare;

    /** A stream determined entirely by {@code seed}. */
    public SeededNoise(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /** The next standard normal value. */
    public double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spare;
        }
        double u;
        double v;
        double s;
        do {
            u = random.nextDouble() * 2 - 1;
            v = random.nextDouble() * 2 - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double factor = Math.sqrt(-2 * Math.log(s) / s);
        spare = v * factor;
        hasSpare = true;
        return u * factor;
    }

    /** A float32 array of standard normal values, created in {@code manager}. */
    public NDArray normal(NDManager manager, Shape shape) {
        long n = shape.size();
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("noise tensor too large: " + shape);
        }
        float[] values = new float[(int) n];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) nextGaussian();
        }
        return HostArrays.of(manager, values, shape);
    }

    /** An int64 array of {@code count} values drawn uniformly from [0, bound). */
    public NDArray integers(NDManager manager, int count, int bound) {
        long[] values = new long[count];
        for (int i = 0; i < count; i++) {
            values[i] = random.nextInt(bound);
        }
        return HostArrays.of(manager, values);
    }

    /** A uniform value in [0, 1). */
    public double nextDouble() {
        return random.nextDouble();
    }
}
