package io.sara4j.cli;

import ai.djl.ndarray.NDManager;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.core.nn.Engines;
import io.sara4j.diffusion.data.shapes.ShapesSpec;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.eval.ClassifierTrainer;
import io.sara4j.diffusion.eval.ClassifierTrainer.Accuracy;
import io.sara4j.diffusion.eval.Classification;
import io.sara4j.diffusion.eval.Evaluator;
import io.sara4j.diffusion.eval.FrechetDistance;
import io.sara4j.diffusion.eval.ShapesClassifier;
import io.sara4j.diffusion.eval.ShapesClassifierConfig;
import io.sara4j.diffusion.loading.ConfigJson;
import io.sara4j.diffusion.pipeline.Sampler;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sara train-classifier}: trains the shapes classifier that {@code sara eval} measures with,
 * writes it as a folder (config.json, model.safetensors, training.json) and reports its held-out
 * accuracy per head and per style, measured on the file as written (float16 weights).
 *
 * <p>The shipped {@code models/shapes-classifier/} was made with the defaults on one thread:
 * {@code OMP_NUM_THREADS=1 sara train-classifier --out models/shapes-classifier} (bit-identical
 * weights need the same thread count, since PyTorch's parallel reductions sum in another order).
 */
@Command(name = "train-classifier", hidden = true,
        description = "Train the shapes-benchmark classifier used by `sara eval` (reproduces models/shapes-classifier).")
final class TrainClassifierCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Classifier folder to write.")
    Path out;

    @Option(names = "--steps", description = "Optimizer steps (default: 1500).")
    Integer steps;

    @Option(names = "--batch-size", description = "Images per step (default: 64).")
    Integer batchSize;

    @Option(names = "--lr", description = "Peak learning rate of the cosine schedule (default: 2e-3).")
    Double learningRate;

    @Option(names = "--seed", description = "Seed of initialisation, data and noise (default: 0).")
    Long seed;

    @Option(names = "--validation-per-style", defaultValue = "200",
            description = "Held-out images per style for the accuracy report (default: ${DEFAULT-VALUE}).")
    int validationPerStyle;

    @Override
    public Integer call() throws Exception {
        PrintWriter log = spec.commandLine().getErr();
        ClassifierTrainer.Settings d = ClassifierTrainer.Settings.defaults();
        ClassifierTrainer.Settings settings = new ClassifierTrainer.Settings(steps == null ? d.steps() : steps,
                batchSize == null ? d.batchSize() : batchSize, learningRate == null ? d.learningRate() : learningRate,
                seed == null ? d.seed() : seed, d.maxNoise(), d.poolPerStyle(), d.logEvery());
        ShapesClassifierConfig config = ShapesClassifierConfig.DEFAULT;
        if (!"1".equals(System.getenv("OMP_NUM_THREADS"))) {
            log.println("sara: note: the shipped classifier was trained with OMP_NUM_THREADS=1; other thread counts sum"
                    + " in another order and give slightly different weights");
        }
        long started = System.nanoTime();
        try (NDManager manager = Engines.pytorch().newBaseManager()) {
            ShapesClassifier trained = new ClassifierTrainer(config, settings).train(manager, (r, total, pace) -> {
                long left = Math.round((total - r.step()) * pace);
                log.printf(Locale.ROOT, "step %d/%d  loss %.4f  lr %.3g  %.3f s/step  ETA %d:%02d%n", r.step(), total,
                        r.loss(), r.learningRate(), pace, left / 60, left % 60);
                log.flush();
            });
            double seconds = (System.nanoTime() - started) / 1e9;
            trained.save(out);
            ShapesClassifier written = ShapesClassifier.load(out, manager);
            Map<Style, List<ShapesSpec>> validation = ClassifierTrainer.validationSpecs(validationPerStyle,
                    settings.seed(), config.imageSize());
            Map<String, Object> perStyle = new LinkedHashMap<>();
            List<ShapesSpec> everything = new ArrayList<>();
            for (Map.Entry<Style, List<ShapesSpec>> e : validation.entrySet()) {
                Accuracy a = ClassifierTrainer.accuracy(written, manager, e.getValue());
                perStyle.put(e.getKey().label(), describe(a));
                everything.addAll(e.getValue());
                log.printf(Locale.ROOT, "sara: %-9s shape %.4f  colour %.4f  style %.4f%n", e.getKey().label(), a.shape(),
                        a.colour(), a.style());
            }
            Accuracy overall = ClassifierTrainer.accuracy(written, manager, everything);
            log.printf(Locale.ROOT, "sara: held-out accuracy over %d images: shape %.4f  colour %.4f  style %.4f;"
                    + " trained in %.1f s; wrote %s%n", overall.count(), overall.shape(), overall.colour(), overall.style(),
                    seconds, out);
            log.flush();
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("command", "sara train-classifier --out " + out + (steps == null ? "" : " --steps " + steps)
                    + (batchSize == null ? "" : " --batch-size " + batchSize)
                    + (learningRate == null ? "" : " --lr " + learningRate) + (seed == null ? "" : " --seed " + seed));
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("steps", settings.steps());
            s.put("batch_size", settings.batchSize());
            s.put("learning_rate", settings.learningRate());
            s.put("schedule", "cosine");
            s.put("seed", settings.seed());
            s.put("max_noise", settings.maxNoise());
            s.put("pool_per_style", settings.poolPerStyle());
            report.put("settings", s);
            report.put("training_seconds", Math.round(seconds * 10) / 10.0);
            report.put("cpus", Runtime.getRuntime().availableProcessors());
            report.put("omp_num_threads", System.getenv("OMP_NUM_THREADS"));
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("per_style", validationPerStyle);
            v.put("seed", settings.seed());
            report.put("validation", v);
            report.put("accuracy", describe(overall));
            report.put("accuracy_by_style", perStyle);
            report.put("real_vs_real_frechet_distance", styleDistances(written, manager, settings.seed()));
            AtomicFiles.writeString(out.resolve("training.json"), ConfigJson.write(report));
        }
        return 0;
    }

    /**
     * The scale of style fidelity: the Fréchet distance between real held-out renders of each pair
     * of styles, drawn with two different seeds, at {@code sara eval}'s default of 96 images. The
     * diagonal is the floor a perfect model reaches; off-diagonal entries show how far apart styles are.
     */
    private static Map<String, Object> styleDistances(ShapesClassifier classifier, NDManager manager, long seed) {
        int n = 96;
        Evaluator a = new Evaluator(classifier, new Evaluator.Settings(n, 1, 1, Sampler.DDIM, seed));
        Evaluator b = new Evaluator(classifier, new Evaluator.Settings(n, 1, 1, Sampler.DDIM, seed + 1));
        int size = classifier.config().imageSize();
        Map<Style, Classification> first = new EnumMap<>(Style.class);
        Map<Style, Classification> second = new EnumMap<>(Style.class);
        for (Style s : Style.values()) {
            first.put(s, classifier.classify(manager, a.realImages(s, size)));
            second.put(s, classifier.classify(manager, b.realImages(s, size)));
        }
        Map<String, Object> rows = new LinkedHashMap<>();
        rows.put("images", n);
        for (Style s : Style.values()) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (Style t : Style.values()) {
                double fd = FrechetDistance.between(first.get(s).features(), second.get(t).features());
                row.put(t.label(), Math.round(fd * 1000) / 1000.0);
            }
            rows.put(s.label(), row);
        }
        return rows;
    }

    private static Map<String, Object> describe(Accuracy a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("shape", a.shape());
        m.put("colour", a.colour());
        m.put("style", a.style());
        m.put("count", a.count());
        return m;
    }
}
