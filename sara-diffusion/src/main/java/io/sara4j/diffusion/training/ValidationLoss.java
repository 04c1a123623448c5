package io.sara4j.diffusion.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Autograd;
import io.sara4j.core.nn.HostArrays;
import io.sara4j.diffusion.data.SplitMix64;
import io.sara4j.diffusion.data.TrainingData;
import io.sara4j.diffusion.pipeline.Denoiser;
import io.sara4j.diffusion.pipeline.SeededNoise;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.scheduler.DdpmScheduler;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The denoising loss on held-out images at FIXED timesteps and FIXED noise, so that two evaluations
 * differ only through the weights: the number is comparable over a run, unlike the training loss
 * (which draws new timesteps every step).
 *
 * <p>For held-out image i (read with augmentation seed {@code seed}) the noise stream is
 * {@code new SeededNoise(SplitMix64.forKey(seed, i).nextLong())}: first the VAE posterior sample
 * (latent models), then one ε per fixed timestep, in timestep order. The timesteps are
 * t_k = ⌊(2k+1)·T / (2K)⌋, k = 0 … K−1 (the midpoints of K equal parts of [0, T)). The result is
 * the mean over images and timesteps of the per-image mean squared error between the prediction
 * at (x_t, t_k) and the training target (ε or v); it does not depend on the batch size.
 *
 * <p>Runs without recording autograd history and with the UNet's dropout off (both restored
 * afterwards); each batch's arrays live in a sub-manager closed before the next.
 */
public final class ValidationLoss {
    private final StableDiffusionPipeline pipeline;
    private final DdpmScheduler scheduler;
    private final TrainingData heldOut;
    private final int[] timesteps;
    private final int batchSize;
    private final long seed;

    /**
     * @param heldOut the images evaluated (all of them, every time)
     * @param timestepCount K, the number of fixed timesteps (at most T)
     * @param batchSize images per forward pass
     * @param seed fixes the noise and the augmentation
     */
    public ValidationLoss(StableDiffusionPipeline pipeline, TrainingData heldOut, int timestepCount, int batchSize,
            long seed) {
        if (heldOut.size() < 1) {
            throw new IllegalArgumentException("the held-out data has no images");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        this.pipeline = pipeline;
        this.scheduler = new DdpmScheduler(pipeline.schedulerConfig());
        this.heldOut = heldOut;
        this.timesteps = fixedTimesteps(timestepCount, pipeline.schedulerConfig().numTrainTimesteps());
        this.batchSize = batchSize;
        this.seed = seed;
    }

    /** The K timesteps t_k = ⌊(2k+1)·T / (2K)⌋: the midpoints of K equal parts of [0, T). */
    public static int[] fixedTimesteps(int count, int numTrainTimesteps) {
        if (count < 1 || count > numTrainTimesteps) {
            throw new IllegalArgumentException("the number of validation timesteps must be in [1, "
                    + numTrainTimesteps + "], got " + count);
        }
        int[] out = new int[count];
        for (int k = 0; k < count; k++) {
            out[k] = (int) ((2L * k + 1) * numTrainTimesteps / (2L * count));
        }
        return out;
    }

    /** The fixed timesteps of this evaluation. */
    public int[] timesteps() {
        return timesteps.clone();
    }

    /** The noise stream of held-out image {@code index} (see the class comment). */
    public static SeededNoise imageNoise(long seed, int index) {
        return new SeededNoise(SplitMix64.forKey(seed, index).nextLong());
    }

    /**
     * The loss of the pipeline's current weights, computed in sub-managers of {@code parent} that
     * are closed before this returns.
     *
     * @throws IOException if a held-out image cannot be read
     */
    public double evaluate(NDManager parent) throws IOException {
        boolean recording = Autograd.isRecording();
        boolean training = pipeline.unet().isTraining();
        Autograd.setRecording(false);
        pipeline.unet().setTraining(false);
        try {
            double sum = 0;
            for (int start = 0; start < heldOut.size(); start += batchSize) {
                int end = Math.min(heldOut.size(), start + batchSize);
                sum += batchSum(parent, start, end);
            }
            return sum / ((double) heldOut.size() * timesteps.length);
        } finally {
            pipeline.unet().setTraining(training);
            Autograd.setRecording(recording);
        }
    }

    /** The sum over images start … end−1 and every timestep of the per-image MSE. */
    private double batchSum(NDManager parent, int start, int end) throws IOException {
        int[] indices = new int[end - start];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = start + i;
        }
        try (NDManager manager = parent.newSubManager(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray images = heldOut.images(manager, indices, seed);
            NDArray conditioning = pipeline.encodePrompts(manager, heldOut.captions(indices));
            List<SeededNoise> streams = new ArrayList<>();
            NDList latents = new NDList();
            for (int i = 0; i < indices.length; i++) {
                SeededNoise noise = imageNoise(seed, indices[i]);
                streams.add(noise);
                latents.add(pipeline.encodeImages(images.get(i).expandDims(0), noise));
            }
            NDArray x0 = NDArrays.concat(latents);
            Shape one = new Shape(1, x0.getShape().get(1), x0.getShape().get(2), x0.getShape().get(3));
            double sum = 0;
            for (int t : timesteps) {
                NDList eps = new NDList();
                for (SeededNoise noise : streams) {
                    eps.add(noise.normal(manager, one));
                }
                sum += timestepSum(pipeline.denoiser(), x0, NDArrays.concat(eps), t, conditioning);
            }
            return sum;
        }
    }

    /** Σ_i mean((prediction_i − target_i)²) at timestep {@code t} for every image of {@code x0}. */
    private double timestepSum(Denoiser model, NDArray x0, NDArray noise, int t, NDArray conditioning) {
        long[] ts = new long[(int) x0.getShape().get(0)];
        java.util.Arrays.fill(ts, t);
        NDArray timestepArray = HostArrays.of(x0.getManager(), ts);
        NDArray noisy = scheduler.addNoise(x0, noise, timestepArray);
        NDArray target = scheduler.trainingTarget(x0, noise, timestepArray);
        NDArray prediction = model.predict(noisy, timestepArray, conditioning);
        float[] perImage = prediction.sub(target).square().reshape(ts.length, -1).mean(new int[] {1}).toFloatArray();
        double sum = 0;
        for (float v : perImage) {
            sum += v;
        }
        return sum;
    }
}
