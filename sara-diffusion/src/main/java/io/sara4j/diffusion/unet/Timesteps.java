package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Module;

/**
 * diffusers {@code Timesteps}: the parameterless sinusoidal embedding of the diffusion timestep
 * (DDPM, after "Attention is all you need" §3.5).
 *
 * <p>With half = ⌊numChannels/2⌋, frequencies f_j = exp(−ln(10000)·j / (half − freqShift)) for
 * j = 0..half−1 and arguments a_bj = t_b·f_j, the embedding is [sin(a) | cos(a)], or [cos(a) | sin(a)]
 * with {@code flipSinToCos}; an odd width gets one zero column at the end. Everything is computed in
 * float32 in the same order as diffusers' {@code get_timestep_embedding}, whatever the model's
 * compute type.
 *
 * <p>Shapes: timesteps (B) of any integer or float type → (B, numChannels) float32. No keys.
 */
public final class Timesteps extends Module {
    private static final double MAX_PERIOD = 10000;

    private final int numChannels;
    private final boolean flipSinToCos;
    private final double downscaleFreqShift;

    /** A sinusoidal embedding of width {@code numChannels}. */
    public Timesteps(int numChannels, boolean flipSinToCos, double downscaleFreqShift) {
        if (numChannels < 2) {
            throw new IllegalArgumentException("numChannels must be >= 2, got " + numChannels);
        }
        if (numChannels / 2 - downscaleFreqShift == 0) {
            throw new IllegalArgumentException("downscaleFreqShift " + downscaleFreqShift
                    + " equals half the width (" + numChannels / 2 + "): the frequencies would divide by zero");
        }
        this.numChannels = numChannels;
        this.flipSinToCos = flipSinToCos;
        this.downscaleFreqShift = downscaleFreqShift;
    }

    /** Embeds {@code timesteps} (B); the result is float32 in the manager of {@code timesteps}. */
    public NDArray forward(NDArray timesteps) {
        if (timesteps.getShape().dimension() != 1) {
            throw new IllegalArgumentException("timesteps must be 1-D (B), got shape " + timesteps.getShape());
        }
        NDManager manager = timesteps.getManager();
        int half = numChannels / 2;
        NDArray exponent = manager.arange(0, half, 1, DataType.FLOAT32)
                .mul((float) -Math.log(MAX_PERIOD))
                .div((float) (half - downscaleFreqShift));                  // (half)
        NDArray frequencies = exponent.exp().reshape(1, half);               // (1, half)
        NDArray arguments = timesteps.toType(DataType.FLOAT32, false)
                .reshape(-1, 1).mul(frequencies);                            // (B, half)
        NDArray sin = arguments.sin();
        NDArray cos = arguments.cos();
        NDArray embedding = flipSinToCos ? cos.concat(sin, 1) : sin.concat(cos, 1); // (B, 2·half)
        if (numChannels % 2 == 1) {
            embedding = embedding.pad(new Shape(0, 1), 0);                   // (B, numChannels)
        }
        return embedding;
    }

    /** Width of the embedding. */
    public int numChannels() {
        return numChannels;
    }
}
