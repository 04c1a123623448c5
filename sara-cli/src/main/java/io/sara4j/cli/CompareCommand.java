package io.sara4j.cli;

import ai.djl.ndarray.NDManager;
import io.sara4j.cli.report.HtmlReport;
import io.sara4j.cli.report.SampleStrips;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.peft.AdapterFiles;
import io.sara4j.diffusion.data.SplitMix64;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.eval.Evaluator;
import io.sara4j.diffusion.eval.MethodScores;
import io.sara4j.diffusion.eval.ShapesClassifier;
import io.sara4j.diffusion.eval.Vlhi;
import io.sara4j.diffusion.loading.ConfigJson;
import io.sara4j.diffusion.pipeline.GenerationRequest;
import io.sara4j.diffusion.pipeline.Sampler;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.training.LossChart;
import io.sara4j.diffusion.training.TrainingConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code sara compare}: SaRA against the baselines and the paper's ablations on one unseen style, at
 * one or more budgets θ, with the same data, steps, prompts and seeds for every method. Writes
 * {@code results.md}, {@code results.json} and {@code report.html} (sample strip per method, loss
 * curves, the VLHI table of each budget).
 *
 * <p>Each method run lives in {@code methods/<name>/} (checkpoints, adapter, {@code summary.json},
 * {@code scores.json}); a method with scores is not trained or scored again, so an interrupted
 * comparison continues where it stopped.
 */
@Command(name = "compare", description = "Fine-tune with SaRA, LoRA, full, masked and the ablations at the same budgets;"
        + " score all alike; write results.md, results.json and report.html.")
final class CompareCommand implements Callable<Integer> {
    /** Every method the comparison knows, with the {@code MethodOptions} arguments that define it. */
    static final Map<String, List<String>> METHODS = methods();
    private static final int GRID_PROMPTS = 6;

    @Spec
    CommandSpec spec;

    @Mixin
    ShapesRunOptions options = new ShapesRunOptions();

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: a new runs/compare-<yyyyMMdd-HHmmss>);"
            + " an existing one is resumed.")
    Path out;

    @Option(names = "--style", defaultValue = "stripes", converter = EvalCommand.StyleConverter.class, paramLabel = "STYLE",
            description = "The new style (default: ${DEFAULT-VALUE}).")
    Style style;

    @Option(names = "--methods", split = ",", defaultValue = "sara,lora,full,masked,sara-no-progressive,sara-no-rank,random,largest",
            description = "Methods to compare (default: ${DEFAULT-VALUE}).")
    List<String> methods;

    @Option(names = "--lr", paramLabel = "LR", description = "Learning rate of every method (default: the paper's rule"
            + " 1e-3·exp(−350·θ) for the sparse methods, 1e-4 for LoRA, 1e-5 for full; the bundled model learns a style at 2e-3).")
    Double learningRate;

    @Option(names = "--thresholds", split = ",", defaultValue = "1e-3,2e-3,5e-3", paramLabel = "θ",
            description = "Budgets θ; every θ-dependent method runs at each (default: ${DEFAULT-VALUE}).")
    List<Double> thresholds;

    @Option(names = "--steps", defaultValue = "400", description = "Training steps per method (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--checkpoint-every", defaultValue = "100", description = "Checkpoint interval in steps (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    /** One trained and scored method at one budget. */
    record Result(String run, String method, Double threshold, TrainingPhase.Summary training, StyleSummary scores) {}

    private static Map<String, List<String>> methods() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("sara", List.of("--method", "sara"));
        m.put("lora", List.of("--method", "lora", "--match-params"));
        m.put("full", List.of("--method", "full"));
        m.put("masked", List.of("--method", "masked"));
        m.put("sara-no-progressive", List.of("--method", "sara", "--progressive-iter", "0"));
        m.put("sara-no-rank", List.of("--method", "sara", "--rank-lambda", "0"));
        m.put("random", List.of("--method", "random"));
        m.put("largest", List.of("--method", "largest"));
        return m;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter log = spec.commandLine().getErr();
        for (String m : methods) {
            if (!METHODS.containsKey(m)) {
                throw new IllegalArgumentException("unsupported value '" + m + "' for --methods (supported: "
                        + String.join(", ", METHODS.keySet()) + ")");
            }
        }
        Path run = ShapesRunOptions.runFolder(out, "compare");
        Path modelDir = options.modelDir();
        Path classifierDir = options.classifierDir();
        DemoSettings.checkOrWrite(run.resolve("run.json"), settings(modelDir));
        long started = System.nanoTime();
        String prefix = Evaluator.stylePrefix(style);
        List<Result> results = new ArrayList<>();
        try (NDManager manager = Engines.pytorch().newBaseManager()) {
            Evaluator evaluator = new Evaluator(ShapesClassifier.load(classifierDir, manager), options.evaluatorSettings());
            List<String> gridPrompts = evaluator.prompts(style).stream().map(s -> prefix + s.caption()).distinct()
                    .limit(GRID_PROMPTS).toList();
            Path data = run.resolve("data");
            int side;
            try (NDManager phase = manager.newSubManager()) {
                side = TrainingPhase.load(modelDir, phase).defaultImageSize();
            }
            options.generateTrainingData(data, style, side, log);
            results.add(scoreRun(log, run, "base", null, modelDir, null, evaluator, manager, gridPrompts, null));
            TrainingConfig config = new TrainingConfig(steps, options.batchSize, options.seed, checkpointEvery, 1);
            for (String m : methods) {
                // full fine-tuning trains every weight whatever θ is: one run serves every budget
                List<Double> budgets = m.equals("full") ? List.of(thresholds.get(0)) : thresholds;
                for (double theta : budgets) {
                    String name = m.equals("full") ? "full" : m + "@" + theta;
                    Path folder = run.resolve("methods").resolve(name);
                    List<String> args = new ArrayList<>(METHODS.get(m));
                    args.addAll(List.of("--threshold", Double.toString(theta)));
                    if (learningRate != null) {
                        args.addAll(List.of("--lr", Double.toString(learningRate)));
                    }
                    MethodOptions options = CommandLine.populateCommand(new MethodOptions(), args.toArray(String[]::new));
                    TrainingPhase.Summary training = TrainingPhase.run(log, name, folder, modelDir, options, data, prefix,
                            config, manager);
                    results.add(scoreRun(log, run, name, m.equals("full") ? null : theta, modelDir,
                            folder.resolve("adapter.safetensors"), evaluator, manager, gridPrompts, training));
                }
            }
        }
        writeResults(run, modelDir, results);
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.print(markdown(results));
        stdout.println("report: " + run.resolve("report.html"));
        stdout.flush();
        log.printf(Locale.ROOT, "sara: compared %d runs in %.0f s%n", results.size() - 1, (System.nanoTime() - started) / 1e9);
        log.flush();
        return 0;
    }

    private Map<String, Object> settings(Path modelDir) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("model", modelDir.toAbsolutePath().normalize().toString());
        s.put("style", style.label());
        s.put("steps", steps);
        options.describeInto(s);
        s.put("learning_rate", learningRate == null ? "per method default" : learningRate);
        return s;
    }

    /** Samples the grid strip and scores one run (the base model when {@code adapter} is null), unless already done. */
    private Result scoreRun(PrintWriter log, Path run, String name, Double theta, Path modelDir, Path adapter,
            Evaluator evaluator, NDManager manager, List<String> gridPrompts, TrainingPhase.Summary training)
            throws IOException {
        Path file = run.resolve("methods").resolve(name).resolve("scores.json");
        String method = name.contains("@") ? name.substring(0, name.indexOf('@')) : name;
        if (Files.isRegularFile(file)) {
            log.printf("sara: %s: already scored%n", name);
            log.flush();
            return new Result(name, method, theta, training, ConfigJson.read(file, StyleSummary.class));
        }
        try (NDManager phase = manager.newSubManager()) {
            StableDiffusionPipeline pipeline = TrainingPhase.load(modelDir, phase);
            if (adapter != null) {
                AdapterFiles.apply(pipeline.unet(), List.of(adapter), List.of(1.0), phase);
            }
            int side = pipeline.defaultImageSize();
            List<java.awt.image.BufferedImage> strip = new ArrayList<>();
            for (int i = 0; i < gridPrompts.size(); i++) {
                strip.addAll(pipeline.generateImages(phase, new GenerationRequest(gridPrompts.get(i), "", 1, options.sampleSteps,
                        options.guidance, SplitMix64.forKey(options.seed, 5000 + i).nextLong(), side, side, Sampler.DDIM)));
            }
            SampleStrips.write(strip, run, stripName(name));
            StyleSummary scores;
            try (PhaseProgress bar = PhaseProgress.start(log, "score " + name, options.samples, "img")) {
                scores = StyleSummary.of(evaluator.evaluate(phase, pipeline, style, Evaluator.stylePrefix(style), bar::stepTo));
            }
            Files.createDirectories(file.getParent());
            AtomicFiles.writeString(file, ConfigJson.write(scores));
            return new Result(name, method, theta, training, scores);
        }
    }

    static String stripName(String run) {
        return "samples/" + run.replace('@', '_') + ".png";
    }

    /** The VLHI of the runs at budget θ (θ-dependent methods at θ, plus full fine-tuning), by run name. */
    static Map<String, Double> vlhi(List<Result> results, double theta) {
        List<MethodScores> scores = new ArrayList<>();
        for (Result r : budget(results, theta)) {
            scores.add(new MethodScores(r.run(), r.scores().frechetDistance(), r.scores().promptAccuracy()));
        }
        return Vlhi.compute(scores);
    }

    private static List<Result> budget(List<Result> results, double theta) {
        return results.stream().filter(r -> r.training() != null && (r.threshold() == null || r.threshold() == theta)).toList();
    }

    private List<List<String>> rows(List<Result> results, double theta) {
        Map<String, Double> v = vlhi(results, theta);
        List<List<String>> rows = new ArrayList<>();
        for (Result r : budget(results, theta)) {
            rows.add(List.of(r.method(), String.format(Locale.ROOT, "%,d", r.training().trainable()),
                    String.format(Locale.ROOT, "%.4f", r.scores().frechetDistance()),
                    String.format(Locale.ROOT, "%.3f", r.scores().styleAccuracy()),
                    String.format(Locale.ROOT, "%.3f", r.scores().promptAccuracy()),
                    String.format(Locale.ROOT, "%.3f", v.get(r.run())),
                    String.format(Locale.ROOT, "%.0f", r.training().seconds())));
        }
        return rows;
    }

    private static final List<String> HEADER = List.of("method", "trainable", "style FD ↓", "style acc ↑", "prompt acc ↑",
            "VLHI ↑", "train s");

    String markdown(List<Result> results) {
        StringBuilder b = new StringBuilder();
        StyleSummary base = results.get(0).scores();
        b.append(String.format(Locale.ROOT, "Base model on %s: style FD %.4f, style acc %.3f, prompt acc %.3f%n%n",
                style.label(), base.frechetDistance(), base.styleAccuracy(), base.promptAccuracy()));
        for (double theta : thresholds) {
            b.append("θ = ").append(theta).append("\n\n| ").append(String.join(" | ", HEADER)).append(" |\n|");
            b.append(" --- |".repeat(HEADER.size())).append('\n');
            for (List<String> row : rows(results, theta)) {
                b.append("| ").append(String.join(" | ", row)).append(" |\n");
            }
            b.append('\n');
        }
        return b.toString();
    }

    private void writeResults(Path run, Path modelDir, List<Result> results) throws IOException {
        AtomicFiles.writeString(run.resolve("results.md"), "# sara compare: " + style.label() + "\n\n" + markdown(results));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("settings", settings(modelDir));
        json.put("results", results);
        Map<String, Object> vlhi = new LinkedHashMap<>();
        for (double theta : thresholds) {
            vlhi.put(Double.toString(theta), vlhi(results, theta));
        }
        json.put("vlhi", vlhi);
        AtomicFiles.writeString(run.resolve("results.json"), ConfigJson.write(json));

        HtmlReport page = new HtmlReport("sara compare: the " + style.label() + " style");
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("base model", modelDir.toString());
        kv.put("training", String.format(Locale.ROOT, "%d steps of batch %d on %d generated images, seed %d", steps,
                options.batchSize, options.images, options.seed));
        kv.put("scoring", String.format(Locale.ROOT, "%d held-out prompts, DDIM %d steps, guidance %s", options.samples, options.sampleSteps,
                options.guidance));
        StyleSummary base = results.get(0).scores();
        kv.put("base model scores", String.format(Locale.ROOT, "style FD %.4f, style acc %.3f, prompt acc %.3f",
                base.frechetDistance(), base.styleAccuracy(), base.promptAccuracy()));
        page.heading("Settings").keyValues(kv);
        page.paragraph("VLHI (the paper's Visual-Linguistic Harmony Index) normalises style FD and prompt accuracy"
                + " min–max over the methods of one budget and adds them: 2 is best on both, 0 worst on both.");
        for (double theta : thresholds) {
            page.heading("Budget θ = " + theta).table(HEADER, rows(results, theta));
            Map<String, Path> curves = new LinkedHashMap<>();
            for (Result r : budget(results, theta)) {
                curves.put(r.run(), run.resolve("methods").resolve(r.run()).resolve("losses.csv"));
            }
            String png = "loss-" + theta + ".png";
            LossChart.writeFromCsv("training loss, θ = " + theta, curves, run.resolve(png));
            page.figure(png, "Training loss per step (moving average) at θ = " + theta);
        }
        List<HtmlReport.GridRow> rows = new ArrayList<>();
        for (Result r : results) {
            rows.add(new HtmlReport.GridRow(r.run(), stripName(r.run())));
        }
        page.heading("Samples").sampleGrid("Held-out prompts, one image each, the same seeds for every method.", "run",
                "held-out prompts (same seeds)", rows);
        page.write(run.resolve("report.html"));
    }
}
