package io.sara4j.diffusion.eval;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.HostArrays;
import io.sara4j.core.peft.FullFineTune;
import io.sara4j.core.peft.NameFilter;
import io.sara4j.core.peft.OptimizerConfig;
import io.sara4j.core.peft.StepReport;
import io.sara4j.diffusion.data.SplitMix64;
import io.sara4j.diffusion.data.shapes.HeldOutSplit;
import io.sara4j.diffusion.data.shapes.ShapesDataset;
import io.sara4j.diffusion.data.shapes.ShapesOptions;
import io.sara4j.diffusion.data.shapes.ShapesRenderer;
import io.sara4j.diffusion.data.shapes.ShapesSpec;
import io.sara4j.diffusion.data.shapes.Split;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.pipeline.SeededNoise;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Trains a {@link ShapesClassifier} on shapes-benchmark images rendered in memory, with the
 * project's own optimizer ({@link FullFineTune}: AdamW over every parameter, cosine schedule).
 *
 * <p><b>Data.</b> Every style gets a pool of {@code poolPerStyle} specs,
 * {@code ShapesDataset.specs(style, poolPerStyle, seed_s, ALL combinations)} with its own seed
 * seed_s = {@code SplitMix64.forKey(seed, 1000 + style.ordinal()).nextLong()}, so the styles do not
 * share positions. Step t draws its batch from {@code SplitMix64.forKey(seed, t)}: per example a
 * style, an index into that style's pool and a noise level σ uniform in [0, maxNoise]; the image
 * is rendered and Gaussian pixel noise of standard deviation σ (in [-1, 1] units, from
 * {@link SeededNoise} keyed the same way) is added, so the classifier also reads the slightly
 * noisy images a diffusion model produces. Held-out (shape, colour) combinations are included:
 * the classifier must recognise exactly the prompts the evaluation holds out of fine-tuning.
 *
 * <p><b>Loss.</b> The sum over the three heads of the cross-entropy −log softmax(z)[y], averaged
 * over the batch ({@link #crossEntropy}).
 *
 * <p><b>Determinism.</b> Initialisation comes from the engine's generator seeded with
 * {@code seed}, data and noise from the seed and the step, so the same settings give the same
 * weights on the same engine build and thread count.
 */
public final class ClassifierTrainer {
    private final ShapesClassifierConfig modelConfig;
    private final Settings settings;

    /**
     * The loop's settings.
     *
     * @param steps optimizer steps
     * @param batchSize images per step
     * @param learningRate peak AdamW rate of the cosine schedule
     * @param seed fixes initialisation, data and noise
     * @param maxNoise largest standard deviation of the added pixel noise, in [-1, 1] units
     * @param poolPerStyle distinct specs per style drawn from
     * @param logEvery report to the listener every this many steps (and at the last)
     */
    public record Settings(int steps, int batchSize, double learningRate, long seed, double maxNoise,
            int poolPerStyle, int logEvery) {
        /** Validates each field, naming it. */
        public Settings {
            if (steps < 1 || batchSize < 1 || poolPerStyle < 1 || logEvery < 1) {
                throw new IllegalArgumentException("steps, batchSize, poolPerStyle and logEvery must be >= 1, got "
                        + steps + ", " + batchSize + ", " + poolPerStyle + ", " + logEvery);
            }
            if (!(learningRate > 0) || !(maxNoise >= 0)) {
                throw new IllegalArgumentException("learningRate must be > 0 and maxNoise >= 0, got " + learningRate
                        + " and " + maxNoise);
            }
        }

        /** The settings of the shipped classifier: 1,500 steps of 64 images, lr 2e-3, seed 0, noise up to 0.15. */
        public static Settings defaults() {
            return new Settings(1500, 64, 2e-3, 0, 0.15, 4096, 100);
        }
    }

    /** Receives progress reports. */
    public interface Listener {
        /** Called every {@code logEvery} steps and at the last one. */
        void onStep(StepReport report, int totalSteps, double secondsPerStep);
    }

    /**
     * Accuracy of each head on a set of rendered images.
     *
     * @param shape fraction of images whose shape is predicted right
     * @param colour fraction whose colour is predicted right
     * @param style fraction whose style is predicted right
     * @param count number of images
     */
    public record Accuracy(double shape, double colour, double style, int count) {
        /** The smallest of the three. */
        public double min() {
            return Math.min(shape, Math.min(colour, style));
        }
    }

    /** A trainer for a classifier of {@code modelConfig} with {@code settings}. */
    public ClassifierTrainer(ShapesClassifierConfig modelConfig, Settings settings) {
        this.modelConfig = modelConfig;
        this.settings = settings;
    }

    /** Builds a classifier in {@code manager} (seeded), trains it and returns it in eval mode. */
    public ShapesClassifier train(NDManager manager, Listener listener) {
        Engine engine = Engines.pytorch();
        engine.setRandomSeed((int) (settings.seed() ^ (settings.seed() >>> 32)));
        ShapesClassifier classifier = new ShapesClassifier(manager, modelConfig);
        List<List<ShapesSpec>> pools = new ArrayList<>();
        ShapesOptions all = ShapesOptions.builder().optImageSize(modelConfig.imageSize()).optSplit(Split.ALL).build();
        for (Style style : Style.values()) {
            long styleSeed = SplitMix64.forKey(settings.seed(), 1000 + style.ordinal()).nextLong();
            pools.add(ShapesDataset.specs(style, settings.poolPerStyle(), styleSeed, all));
        }
        OptimizerConfig optimizer = OptimizerConfig.defaults().withLearningRate(settings.learningRate())
                .withTotalSteps(settings.steps());
        long started = System.nanoTime();
        classifier.setTraining(true);
        try (FullFineTune tuner = FullFineTune.attach(classifier, NameFilter.all(), optimizer)) {
            for (int step = 0; step < settings.steps(); step++) {
                StepReport report = step(manager, engine, classifier, tuner, pools, step);
                if ((step + 1) % settings.logEvery() == 0 || step + 1 == settings.steps()) {
                    listener.onStep(report, settings.steps(), (System.nanoTime() - started) / 1e9 / (step + 1));
                }
            }
        } finally {
            classifier.setTraining(false);
        }
        return classifier;
    }

    private StepReport step(NDManager manager, Engine engine, ShapesClassifier classifier, FullFineTune tuner,
            List<List<ShapesSpec>> pools, int step) {
        int b = settings.batchSize();
        int size = modelConfig.imageSize();
        int plane = 3 * size * size;
        SplitMix64 random = SplitMix64.forKey(settings.seed(), step);
        SeededNoise noise = new SeededNoise(random.nextLong());
        float[] pixels = new float[b * plane];
        List<ShapesSpec> batch = new ArrayList<>(b);
        for (int i = 0; i < b; i++) {
            List<ShapesSpec> pool = pools.get(random.nextInt(pools.size()));
            ShapesSpec spec = pool.get(random.nextInt(pool.size()));
            batch.add(spec);
            ShapesClassifier.putPixels(ShapesRenderer.pixels(spec, size), pixels, i, size);
            double sigma = settings.maxNoise() * random.nextDouble();
            for (int k = i * plane; k < (i + 1) * plane; k++) {
                pixels[k] += (float) (sigma * noise.nextGaussian());
            }
        }
        try (NDManager scope = manager.newSubManager(); NDScope arrays = new NDScope()) {
            arrays.suppressNotUsedWarning();
            NDArray images = HostArrays.of(scope, pixels, new Shape(b, 3, size, size));
            Targets targets = Targets.of(batch);
            try (GradientCollector collector = engine.newGradientCollector()) {
                ShapesClassifier.Logits logits = classifier.forward(images);
                NDArray loss = crossEntropy(logits.shape(), targets.shapes())
                        .add(crossEntropy(logits.colour(), targets.colours()))
                        .add(crossEntropy(logits.style(), targets.styles()));
                return tuner.step(loss);
            }
        }
    }

    /** The label ordinals of a batch. */
    private record Targets(int[] shapes, int[] colours, int[] styles) {
        static Targets of(List<ShapesSpec> specs) {
            int n = specs.size();
            Targets t = new Targets(new int[n], new int[n], new int[n]);
            for (int i = 0; i < n; i++) {
                t.shapes[i] = specs.get(i).shape().ordinal();
                t.colours[i] = specs.get(i).colour().ordinal();
                t.styles[i] = specs.get(i).style().ordinal();
            }
            return t;
        }
    }

    /**
     * Mean cross-entropy of logits (B, K) against class indices {@code targets} (B):
     * −(1/B)·Σ_b log softmax(z_b)[y_b], the log-softmax computed stably by the engine
     * (z − max z − log Σ exp(z − max z)) and the target entry picked by a one-hot product. Only
     * tensor operands enter the recorded graph (no {@code mul}/{@code div} by a Java number).
     */
    public static NDArray crossEntropy(NDArray logits, int[] targets) {
        long b = logits.getShape().get(0);
        int k = (int) logits.getShape().get(1);
        if (targets.length != b) {
            throw new IllegalArgumentException(targets.length + " targets for " + b + " rows of logits");
        }
        float[] oneHot = new float[targets.length * k];
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] < 0 || targets[i] >= k) {
                throw new IllegalArgumentException("target " + targets[i] + " at row " + i + " is outside [0, " + k + ")");
            }
            oneHot[i * k + targets[i]] = 1f;
        }
        NDArray picked = logits.logSoftmax(1).mul(HostArrays.of(logits.getManager(), oneHot, new Shape(b, k)));
        // mean(), not div(b): DJL makes the scalar of div(Number) from a Java buffer, which the
        // recorded division keeps for backward and the garbage collector may free before it runs
        return picked.sum(new int[] {1}).mean().neg();
    }

    /**
     * The held-out check of a trained classifier: {@code perStyle} images of every style from
     * {@code ShapesDataset.specs(style, perStyle, seed_s, ALL)}, seeded apart from training
     * (seed_s = {@code SplitMix64.forKey(seed, 2000 + style.ordinal()).nextLong()}), rendered clean.
     */
    public static Map<Style, List<ShapesSpec>> validationSpecs(int perStyle, long seed, int imageSize) {
        ShapesOptions all = ShapesOptions.builder().optImageSize(imageSize).optSplit(Split.ALL)
                .optHeldOut(HeldOutSplit.DEFAULT).build();
        Map<Style, List<ShapesSpec>> out = new EnumMap<>(Style.class);
        for (Style style : Style.values()) {
            long styleSeed = SplitMix64.forKey(seed, 2000 + style.ordinal()).nextLong();
            out.put(style, ShapesDataset.specs(style, perStyle, styleSeed, all));
        }
        return out;
    }

    /** The accuracy of each head on {@code specs} rendered at the classifier's input size. */
    public static Accuracy accuracy(ShapesClassifier classifier, NDManager manager, List<ShapesSpec> specs) {
        int size = classifier.config().imageSize();
        Classification c = classifier.classify(manager, specs.stream().map(s -> ShapesRenderer.render(s, size)).toList());
        int shape = 0;
        int colour = 0;
        int style = 0;
        for (int i = 0; i < specs.size(); i++) {
            shape += c.shape(i) == specs.get(i).shape() ? 1 : 0;
            colour += c.colour(i) == specs.get(i).colour() ? 1 : 0;
            style += c.style(i) == specs.get(i).style() ? 1 : 0;
        }
        double n = specs.size();
        return new Accuracy(shape / n, colour / n, style / n, specs.size());
    }
}
