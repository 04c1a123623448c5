package io.sara4j.diffusion.eval;

import ai.djl.ndarray.NDManager;
import io.sara4j.diffusion.data.SplitMix64;
import io.sara4j.diffusion.data.shapes.ShapesDataset;
import io.sara4j.diffusion.data.shapes.ShapesOptions;
import io.sara4j.diffusion.data.shapes.ShapesRenderer;
import io.sara4j.diffusion.data.shapes.ShapesSpec;
import io.sara4j.diffusion.data.shapes.Split;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.pipeline.GenerationRequest;
import io.sara4j.diffusion.pipeline.Sampler;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Scores a pipeline (with its adapters already applied) on one style of the shapes benchmark:
 * generates images for held-out prompts, renders equally many real images of the style, and
 * measures both with the {@link ShapesClassifier}.
 *
 * <p><b>Prompts.</b> The content of generated image i is spec i of
 * {@code ShapesDataset.specs(style, samples, promptSeed, HELD_OUT)}: a shuffled round-robin over the
 * held-out (shape, colour, background) combinations, none of which a fine-tuning set of the TRAIN
 * split contains. Its prompt is {@code prefix + spec.caption()}, the prefix naming the style the way
 * the model was trained ("stripes style, a red circle on a black background").
 *
 * <p><b>Real images.</b> {@code ShapesDataset.specs(style, samples, realSeed, HELD_OUT)} rendered at
 * the size the pipeline generates, then put through the same resize to the classifier's input as the
 * generated images: same content distribution, same preprocessing, different draws.
 *
 * <p><b>Determinism.</b> Images that share a prompt are generated in one call, whose seed is
 * {@code SplitMix64.forKey(seed, j).nextLong()} for the j-th distinct prompt (in order of first use);
 * promptSeed and realSeed are {@code forKey(seed, −1)} and {@code forKey(seed, −2)}. The sampler
 * draws its noise on the Java side ({@link io.sara4j.diffusion.pipeline.SeededNoise}), so the same
 * settings give the same images and scores.
 */
public final class Evaluator {
    private final ShapesClassifier classifier;
    private final Settings settings;

    /**
     * How images are generated.
     *
     * @param samples images per style (and real images to compare with); at least 2
     * @param steps sampling steps
     * @param guidance classifier-free guidance scale (≤ 1 disables it)
     * @param sampler the sampling scheduler
     * @param seed fixes prompts, real images and every generated image
     */
    public record Settings(int samples, int steps, double guidance, Sampler sampler, long seed) {
        /** Validates each field, naming it. */
        public Settings {
            if (samples < 2) {
                throw new IllegalArgumentException("samples must be >= 2 (a covariance needs two images), got " + samples);
            }
            if (steps < 1) {
                throw new IllegalArgumentException("steps must be >= 1, got " + steps);
            }
            if (!Double.isFinite(guidance)) {
                throw new IllegalArgumentException("guidance must be finite, got " + guidance);
            }
            if (sampler == null) {
                throw new IllegalArgumentException("sampler is required");
            }
        }
    }

    /** An evaluator measuring with {@code classifier}. */
    public Evaluator(ShapesClassifier classifier, Settings settings) {
        this.classifier = classifier;
        this.settings = settings;
    }

    /** The caption prefix a style is prompted with by default: {@code "<style> style, "}. */
    public static String stylePrefix(Style style) {
        return style.label() + " style, ";
    }

    /** Generates, renders and scores {@code style} with prompts starting with {@code promptPrefix}. */
    public StyleScores evaluate(NDManager manager, StableDiffusionPipeline pipeline, Style style, String promptPrefix) {
        return evaluate(manager, pipeline, style, promptPrefix, done -> {});
    }

    /**
     * {@link #evaluate(NDManager, StableDiffusionPipeline, Style, String)}, telling {@code progress}
     * how many images have been generated so far after each prompt's batch (for a progress display).
     */
    public StyleScores evaluate(NDManager manager, StableDiffusionPipeline pipeline, Style style, String promptPrefix,
            IntConsumer progress) {
        List<ShapesSpec> prompts = prompts(style);
        List<BufferedImage> generated = generate(manager, pipeline, prompts, promptPrefix, progress);
        int side = generated.get(0).getWidth();
        List<BufferedImage> real = realImages(style, Math.max(ShapesRenderer.MIN_SIZE, side));
        return score(manager, style, promptPrefix, prompts, generated, real);
    }

    /** The held-out content of the generated images: one spec per sample (see the class comment). */
    public List<ShapesSpec> prompts(Style style) {
        return ShapesDataset.specs(style, settings.samples(), SplitMix64.forKey(settings.seed(), -1).nextLong(), heldOut());
    }

    /** Real renders of {@code style} at {@code size} × {@code size}, as many as samples. */
    public List<BufferedImage> realImages(Style style, int size) {
        long realSeed = SplitMix64.forKey(settings.seed(), -2).nextLong();
        return ShapesDataset.specs(style, settings.samples(), realSeed, heldOut()).stream()
                .map(spec -> ShapesRenderer.render(spec, size)).toList();
    }

    private static ShapesOptions heldOut() {
        return ShapesOptions.builder().optSplit(Split.HELD_OUT).build();
    }

    /**
     * One image per spec, prompted with {@code promptPrefix + spec.caption()} at the pipeline's
     * image size; specs with the same caption are generated together.
     */
    public List<BufferedImage> generate(NDManager manager, StableDiffusionPipeline pipeline, List<ShapesSpec> prompts,
            String promptPrefix) {
        return generate(manager, pipeline, prompts, promptPrefix, done -> {});
    }

    /** {@link #generate(NDManager, StableDiffusionPipeline, List, String)}, reporting the images done after each batch. */
    public List<BufferedImage> generate(NDManager manager, StableDiffusionPipeline pipeline, List<ShapesSpec> prompts,
            String promptPrefix, IntConsumer progress) {
        Map<String, List<Integer>> byPrompt = new LinkedHashMap<>();
        for (int i = 0; i < prompts.size(); i++) {
            byPrompt.computeIfAbsent(promptPrefix + prompts.get(i).caption(), k -> new ArrayList<>()).add(i);
        }
        BufferedImage[] out = new BufferedImage[prompts.size()];
        int side = pipeline.defaultImageSize();
        int j = 0;
        int done = 0;
        for (Map.Entry<String, List<Integer>> e : byPrompt.entrySet()) {
            List<Integer> slots = e.getValue();
            GenerationRequest request = new GenerationRequest(e.getKey(), "", slots.size(), settings.steps(),
                    settings.guidance(), SplitMix64.forKey(settings.seed(), j++).nextLong(), side, side, settings.sampler());
            List<BufferedImage> images = pipeline.generateImages(manager, request);
            for (int k = 0; k < slots.size(); k++) {
                out[slots.get(k)] = images.get(k);
            }
            done += slots.size();
            progress.accept(done);
        }
        return List.of(out);
    }

    /** Classifies both sets and computes {@link StyleFidelity} and {@link PromptAccuracy}. */
    public StyleScores score(NDManager manager, Style style, String promptPrefix, List<ShapesSpec> prompts,
            List<BufferedImage> generated, List<BufferedImage> real) {
        Classification g = classifier.classify(manager, generated);
        Classification r = classifier.classify(manager, real);
        return new StyleScores(style, promptPrefix, StyleFidelity.measure(g, r, style), PromptAccuracy.measure(g, prompts));
    }
}
