package io.sara4j.diffusion.training;

import io.sara4j.diffusion.pipeline.Sampler;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link Validator} does during training: sample grids of fixed prompts and a validation
 * loss on held-out images, both every {@code sampleEvery} steps.
 *
 * <p>Defaults ({@link #defaults()}): no prompts, every 100 steps, seed 0, 25 DDIM steps at guidance
 * 7.5 and the model's own image size; no held-out images; 8 fixed timesteps, 4 images per forward pass.
 *
 * @param prompts the validation prompts, one grid column each (may be empty: no grids)
 * @param sampleEvery sample and evaluate every this many optimizer steps
 * @param seed the initial noise of every sample (the same for every prompt and every interval, so
 *     rows are comparable), and the fixed noise and augmentation of the validation loss
 * @param inferenceSteps sampling steps per image
 * @param guidance classifier-free guidance weight (≤ 1: unguided)
 * @param imageSize side of the sampled images in pixels; 0 = the model's default
 *     ({@code StableDiffusionPipeline.defaultImageSize()})
 * @param sampler the sampling scheduler
 * @param validationData a folder of held-out images with captions, or {@code null}
 * @param validationSplit the fraction of the training data held out instead (0 = none; see
 *     {@link TrainingSplit#byFraction}); not together with {@code validationData}
 * @param lossTimesteps the number of fixed timesteps, spread evenly over [0, T), at which the loss is measured
 * @param lossBatchSize held-out images per forward pass (bounds the memory of the evaluation)
 */
public record ValidationSettings(List<String> prompts, int sampleEvery, long seed, int inferenceSteps,
        double guidance, int imageSize, Sampler sampler, Path validationData, double validationSplit,
        int lossTimesteps, int lossBatchSize) {
    /** Validates every field, naming it. */
    public ValidationSettings {
        Objects.requireNonNull(prompts, "prompts");
        prompts = List.copyOf(prompts);
        for (int i = 0; i < prompts.size(); i++) {
            if (prompts.get(i).isBlank()) {
                throw new IllegalArgumentException("prompts[" + i + "] is blank");
            }
        }
        Objects.requireNonNull(sampler, "sampler");
        if (sampleEvery < 1) {
            throw new IllegalArgumentException("sampleEvery must be >= 1, got " + sampleEvery);
        }
        if (inferenceSteps < 1) {
            throw new IllegalArgumentException("inferenceSteps must be >= 1, got " + inferenceSteps);
        }
        if (!Double.isFinite(guidance)) {
            throw new IllegalArgumentException("guidance must be finite, got " + guidance);
        }
        if (imageSize < 0) {
            throw new IllegalArgumentException("imageSize must be >= 0 (0 = the model's size), got " + imageSize);
        }
        if (!(validationSplit >= 0 && validationSplit < 1)) {
            throw new IllegalArgumentException("validationSplit must be in [0, 1), got " + validationSplit);
        }
        if (validationData != null && validationSplit > 0) {
            throw new IllegalArgumentException("validationData and validationSplit exclude each other; got "
                    + validationData + " and " + validationSplit);
        }
        if (lossTimesteps < 1) {
            throw new IllegalArgumentException("lossTimesteps must be >= 1, got " + lossTimesteps);
        }
        if (lossBatchSize < 1) {
            throw new IllegalArgumentException("lossBatchSize must be >= 1, got " + lossBatchSize);
        }
    }

    /** The documented defaults: nothing to sample and no held-out images yet. */
    public static ValidationSettings defaults() {
        return new ValidationSettings(List.of(), 100, 0, 25, 7.5, 0, Sampler.DDIM, null, 0, 8, 4);
    }

    /** These settings with other prompts. */
    public ValidationSettings withPrompts(List<String> newPrompts) {
        return new ValidationSettings(newPrompts, sampleEvery, seed, inferenceSteps, guidance, imageSize, sampler,
                validationData, validationSplit, lossTimesteps, lossBatchSize);
    }

    /** These settings sampling every {@code steps} steps. */
    public ValidationSettings withSampleEvery(int steps) {
        return new ValidationSettings(prompts, steps, seed, inferenceSteps, guidance, imageSize, sampler,
                validationData, validationSplit, lossTimesteps, lossBatchSize);
    }

    /** These settings with another sampling step count, guidance and image size (0 = the model's). */
    public ValidationSettings withSampling(int steps, double guidanceScale, int size) {
        return new ValidationSettings(prompts, sampleEvery, seed, steps, guidanceScale, size, sampler,
                validationData, validationSplit, lossTimesteps, lossBatchSize);
    }

    /** These settings with another seed. */
    public ValidationSettings withSeed(long newSeed) {
        return new ValidationSettings(prompts, sampleEvery, newSeed, inferenceSteps, guidance, imageSize, sampler,
                validationData, validationSplit, lossTimesteps, lossBatchSize);
    }

    /** These settings holding out {@code fraction} of the training data (0 = none). */
    public ValidationSettings withValidationSplit(double fraction) {
        return new ValidationSettings(prompts, sampleEvery, seed, inferenceSteps, guidance, imageSize, sampler,
                null, fraction, lossTimesteps, lossBatchSize);
    }

    /** These settings reading held-out images from {@code folder}. */
    public ValidationSettings withValidationData(Path folder) {
        return new ValidationSettings(prompts, sampleEvery, seed, inferenceSteps, guidance, imageSize, sampler,
                folder, 0, lossTimesteps, lossBatchSize);
    }

    /** These settings measuring the loss at {@code timesteps} fixed timesteps, {@code batch} images at a time. */
    public ValidationSettings withLoss(int timesteps, int batch) {
        return new ValidationSettings(prompts, sampleEvery, seed, inferenceSteps, guidance, imageSize, sampler,
                validationData, validationSplit, timesteps, batch);
    }

    /** Whether held-out images are configured (a folder or a split). */
    public boolean hasHeldOut() {
        return validationData != null || validationSplit > 0;
    }
}
