package io.sara4j.diffusion.scheduler;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;

/** Reading timestep arrays on the Java side (they are small) without creating temporaries. */
final class Timesteps {
    private Timesteps() {}

    /** The values of a 0-d or 1-d timestep array of any integer or floating type. */
    static double[] values(NDArray timesteps) {
        if (timesteps.getShape().dimension() > 1) {
            throw new IllegalArgumentException("timesteps must be a scalar or a (B,) array, got shape "
                    + timesteps.getShape());
        }
        switch (timesteps.getDataType()) {
            case INT64:
                return Arrays.stream(timesteps.toLongArray()).asDoubleStream().toArray();
            case INT32:
                return Arrays.stream(timesteps.toIntArray()).asDoubleStream().toArray();
            case FLOAT64:
                return timesteps.toDoubleArray();
            case FLOAT32: {
                float[] f = timesteps.toFloatArray();
                double[] out = new double[f.length];
                for (int i = 0; i < f.length; i++) {
                    out[i] = f[i];
                }
                return out;
            }
            default:
                throw new IllegalArgumentException("timesteps must be int32, int64, float32 or float64, got "
                        + timesteps.getDataType());
        }
    }

    /** Checks that {@code count} timesteps broadcast against the batch of {@code sample}. */
    static void checkBatch(int count, NDArray sample) {
        long batch = sample.getShape().dimension() == 0 ? 1 : sample.getShape().get(0);
        if (count != 1 && count != batch) {
            throw new IllegalArgumentException(count + " timesteps for a batch of " + batch
                    + " (give one per batch entry, or one for all)");
        }
    }
}
