package io.sara4j.diffusion.pipeline;

import java.util.Objects;

/**
 * What to generate: a prompt, classifier-free guidance settings, the sampler and the seed.
 *
 * @param prompt the text to depict
 * @param negativePrompt the text guidance steers away from ("" = unconditional)
 * @param numImages images per call
 * @param steps sampling steps
 * @param guidanceScale classifier-free guidance weight w; ≤ 1 disables guidance (one model call per step)
 * @param seed fixes the initial noise and every stochastic step
 * @param height image height in pixels
 * @param width image width in pixels
 * @param sampler the sampling scheduler
 */
public record GenerationRequest(String prompt, String negativePrompt, int numImages, int steps,
        double guidanceScale, long seed, int height, int width, Sampler sampler) {
    /** Validates every field, naming the one that is wrong. */
    public GenerationRequest {
        Objects.requireNonNull(prompt, "prompt");
        negativePrompt = negativePrompt == null ? "" : negativePrompt;
        Objects.requireNonNull(sampler, "sampler");
        if (numImages < 1) {
            throw new IllegalArgumentException("numImages must be >= 1, got " + numImages);
        }
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        }
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("height and width must be >= 1, got " + height + "x" + width);
        }
        if (!Double.isFinite(guidanceScale)) {
            throw new IllegalArgumentException("guidanceScale must be finite, got " + guidanceScale);
        }
    }

    /** One image of {@code prompt}, DDIM 25 steps, guidance 7.5, no negative prompt. */
    public static GenerationRequest of(String prompt, int height, int width, long seed) {
        return new GenerationRequest(prompt, "", 1, 25, 7.5, seed, height, width, Sampler.DDIM);
    }

    /** This request with another step count. */
    public GenerationRequest withSteps(int newSteps) {
        return new GenerationRequest(prompt, negativePrompt, numImages, newSteps, guidanceScale, seed, height, width, sampler);
    }

    /** Whether classifier-free guidance is on. */
    public boolean guided() {
        return guidanceScale > 1.0;
    }
}
