package io.sara4j.diffusion.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.HostArrays;
import io.sara4j.core.nn.Scalars;
import io.sara4j.diffusion.scheduler.DdpmScheduler;
import io.sara4j.diffusion.scheduler.NoiseSchedule;
import io.sara4j.diffusion.scheduler.PredictionType;

/**
 * The denoising training objective (Ho et al. 2020, "simple" loss, eq. 14; v-prediction as in
 * Salimans &amp; Ho 2022): for clean samples x₀, draw ε ~ N(0, I) and t ~ U{0, …, T−1} per sample,
 * form x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε, and return the mean squared error between the network's
 * prediction at (x_t, t) and the target of the prediction type (ε, or
 * v = √ᾱ_t·ε − √(1−ᾱ_t)·x₀).
 *
 * <p>{@link LossOptions} add, as diffusers' {@code train_text_to_image.py} does:
 * <ul>
 *   <li>a noise offset: ε ← ε + offset·δ with δ ~ N(0, 1) of shape (B, C, 1, 1), which lets the
 *       model learn to shift an image's mean brightness;</li>
 *   <li>a prediction type other than the scheduler config's;</li>
 *   <li>min-SNR-γ weighting: loss = mean over samples of w(t_b)·MSE_b ({@link MinSnrWeighting}).</li>
 * </ul>
 *
 * <p>x₀ are VAE latents already multiplied by the VAE's scaling factor, or pixels in [−1, 1] for a
 * pixel-space model. Noise and timesteps come from the caller's {@link SeededNoise} in the order ε,
 * δ (only with an offset), t, so a seed fixes the whole run.
 */
public final class DiffusionObjective {
    private final DdpmScheduler noiseScheduler;
    private final LossOptions options;
    private final PredictionType predictionType;

    /** An objective using {@code noiseScheduler}'s ᾱ schedule and prediction type, without options. */
    public DiffusionObjective(DdpmScheduler noiseScheduler) {
        this(noiseScheduler, LossOptions.DEFAULTS);
    }

    /**
     * An objective using {@code noiseScheduler}'s ᾱ schedule with {@code options}; the prediction
     * type is the options' if set, else the scheduler config's.
     */
    public DiffusionObjective(DdpmScheduler noiseScheduler, LossOptions options) {
        this.noiseScheduler = noiseScheduler;
        this.options = options;
        this.predictionType = options.predictionType() != null
                ? options.predictionType() : noiseScheduler.config().predictionType();
    }

    /**
     * A batch's random draws and what follows from them: the noisy samples, their timesteps, the
     * prediction targets and, with min-SNR weighting, each sample's loss weight (else {@code null}).
     */
    public record Draw(NDArray noisy, NDArray timesteps, NDArray target, NDArray weights) {
        /** Number of samples. */
        public int size() {
            return (int) noisy.getShape().get(0);
        }
    }

    /**
     * Draws the noise and timesteps of a whole batch and forms its noisy samples and targets, so
     * that the loss can then be evaluated on the whole batch or slice by slice (gradient
     * accumulation) with the same draws.
     *
     * @param x0 clean samples (B, C, H, W)
     */
    public Draw draw(NDArray x0, SeededNoise random) {
        NDManager manager = x0.getManager();
        Shape shape = x0.getShape();
        int batch = (int) shape.get(0);
        NDArray noise = random.normal(manager, shape);
        if (options.noiseOffset() > 0) {
            noise = noise.add(random.normal(manager, offsetShape(shape)).mul((float) options.noiseOffset()));
        }
        NDArray timesteps = random.integers(manager, batch, noiseScheduler.config().numTrainTimesteps());
        NDArray noisy = noiseScheduler.addNoise(x0, noise, timesteps);
        NDArray target = noiseScheduler.trainingTarget(predictionType, x0, noise, timesteps);
        NDArray weights = options.snrGamma() == null ? null
                : snrWeights(manager, timesteps.toLongArray(), x0.getDataType());
        return new Draw(noisy, timesteps, target, weights);
    }

    /**
     * The loss of one batch, a scalar in {@code x0}'s manager (with autograd history when called
     * inside a gradient collector).
     *
     * @param x0 clean samples (B, C, H, W)
     * @param conditioning (B, L, D) text states
     */
    public NDArray loss(Denoiser model, NDArray x0, NDArray conditioning, SeededNoise random) {
        Draw draw = draw(x0, random);
        return loss(model, draw, conditioning, 0, draw.size());
    }

    /**
     * The loss of samples [from, to) of {@code draw}, scaled by (to − from)/B: the slices of a
     * batch add up to the batch's loss, so their gradients add up to the batch's gradient.
     *
     * @param conditioning the whole batch's (B, L, D) text states
     */
    public NDArray loss(Denoiser model, Draw draw, NDArray conditioning, int from, int to) {
        int batch = draw.size();
        if (from < 0 || to > batch || from >= to) {
            throw new IllegalArgumentException("slice [" + from + ", " + to + ") of a batch of " + batch);
        }
        boolean whole = from == 0 && to == batch;
        NDIndex slice = new NDIndex("{}:{}", from, to);
        NDArray noisy = whole ? draw.noisy() : draw.noisy().get(slice);
        NDArray timesteps = whole ? draw.timesteps() : draw.timesteps().get(slice);
        NDArray target = whole ? draw.target() : draw.target().get(slice);
        NDArray context = whole ? conditioning : conditioning.get(slice);
        NDArray prediction = model.predict(noisy, timesteps, context);
        NDArray squaredError = prediction.sub(target).square();
        NDArray loss;
        if (draw.weights() == null) {
            loss = squaredError.mean();
        } else {
            // DJL's PyTorch engine reduces over one axis at a time: flatten each sample first
            NDArray perSample = squaredError.reshape(to - from, -1).mean(new int[] {1});
            loss = perSample.mul(whole ? draw.weights() : draw.weights().get(slice)).mean();
        }
        return whole ? loss : Scalars.mul(loss, (double) (to - from) / batch);
    }

    /** The scheduler that defines the forward process. */
    public DdpmScheduler noiseScheduler() {
        return noiseScheduler;
    }

    /** The options this objective was built with. */
    public LossOptions options() {
        return options;
    }

    /** What the model is trained to predict: the options' type, else the scheduler config's. */
    public PredictionType predictionType() {
        return predictionType;
    }

    /** (B, C, 1, ..., 1): one offset per sample and channel, constant over the spatial axes. */
    private static Shape offsetShape(Shape shape) {
        long[] dims = new long[shape.dimension()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = i < 2 ? shape.get(i) : 1;
        }
        return new Shape(dims);
    }

    /** The min-SNR weight of each sample's timestep, from the float32 ᾱ the noise was added with. */
    private NDArray snrWeights(NDManager manager, long[] timesteps, DataType type) {
        NoiseSchedule schedule = noiseScheduler.noiseSchedule();
        float[] weights = new float[timesteps.length];
        for (int i = 0; i < timesteps.length; i++) {
            double alphaCumprod = schedule.alphaCumprod((int) timesteps[i]);
            weights[i] = (float) MinSnrWeighting.weight(alphaCumprod, options.snrGamma(), predictionType);
        }
        NDArray out = HostArrays.of(manager, weights);
        return type == DataType.FLOAT32 ? out : out.toType(type, false);
    }
}
