package io.sara4j.cli;

import ai.djl.ndarray.NDManager;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.core.nn.Engines;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.eval.Evaluator;
import io.sara4j.diffusion.eval.PriorPreservation;
import io.sara4j.diffusion.eval.ShapesClassifier;
import io.sara4j.diffusion.eval.StyleScores;
import io.sara4j.diffusion.loading.ConfigJson;
import io.sara4j.diffusion.pipeline.Sampler;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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

/**
 * {@code sara eval}: the shapes-benchmark scores of a model (with adapters): style fidelity and
 * prompt accuracy of a target style on held-out prompts, and, with {@code --base-style}, prior
 * preservation of a style the base model knew, before and after the adapters.
 */
@Command(name = "eval", description = "Score a model (and adapters) on the shapes benchmark: style fidelity,"
        + " prompt accuracy, prior preservation.")
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    AdapterOptions adapters;

    @Option(names = "--style", required = true, paramLabel = "STYLE", converter = StyleConverter.class,
            description = "Target style, one of: plain, outline, stripes, dots, checker, gradient, speckle.")
    Style style;

    @Option(names = "--base-style", paramLabel = "STYLE", converter = StyleConverter.class,
            description = "A style the base model was trained on: measures how well it is preserved.")
    Style baseStyle;

    @Option(names = "--prompt-prefix", paramLabel = "TEXT",
            description = "Put before every target-style caption (default: \"<style> style, \").")
    String promptPrefix;

    @Option(names = "--base-prompt-prefix", paramLabel = "TEXT",
            description = "Put before every base-style caption (default: \"<base-style> style, \").")
    String basePromptPrefix;

    @Option(names = "--no-base-reference",
            description = "With --base-style and adapters, skip scoring the base style without the adapters.")
    boolean noBaseReference;

    @Option(names = "--samples", defaultValue = "96", description = "Images per style (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--steps", defaultValue = "25", description = "Sampling steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--guidance", defaultValue = "7.5",
            description = "Classifier-free guidance scale (default: ${DEFAULT-VALUE}).")
    double guidance;

    @Option(names = "--sampler", defaultValue = "ddim", description = "ddim, euler or ddpm (default: ${DEFAULT-VALUE}).")
    String sampler;

    @Option(names = "--seed", defaultValue = "0",
            description = "Seed of prompts, real images and noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--classifier", paramLabel = "DIR",
            description = "Classifier folder (default: the shipped models/shapes-classifier).")
    Path classifier;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the scores as JSON.")
    Path json;

    @Override
    public Integer call() throws Exception {
        List<Double> alphas = adapters.alphas();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter log = spec.commandLine().getErr();
        Evaluator.Settings settings = new Evaluator.Settings(samples, steps, guidance, Sampler.parse(sampler), seed);
        String targetPrefix = promptPrefix == null ? Evaluator.stylePrefix(style) : promptPrefix;
        Path classifierDir = classifier == null ? ShapesClassifier.bundledFolder() : classifier;
        long start = System.nanoTime();
        try (NDManager manager = Engines.pytorch().newBaseManager()) {
            Evaluator evaluator = new Evaluator(ShapesClassifier.load(classifierDir, manager), settings);
            StableDiffusionPipeline pipeline = model.load(manager);
            String basePrefix = baseStyle == null ? null
                    : basePromptPrefix == null ? Evaluator.stylePrefix(baseStyle) : basePromptPrefix;
            StyleScores before = null;
            if (baseStyle != null && !adapters.adapters.isEmpty() && !noBaseReference) {
                log.printf("sara: scoring %s without the adapters (%d images) ...%n", baseStyle.label(), samples);
                log.flush();
                before = evaluator.evaluate(manager, pipeline, baseStyle, basePrefix);
            }
            adapters.applyTo(pipeline.unet(), manager);
            log.printf("sara: scoring %s (%d images) ...%n", style.label(), samples);
            log.flush();
            StyleScores target = evaluator.evaluate(manager, pipeline, style, targetPrefix);
            PriorPreservation prior = null;
            if (baseStyle != null) {
                log.printf("sara: scoring %s (%d images) ...%n", baseStyle.label(), samples);
                log.flush();
                StyleScores after = evaluator.evaluate(manager, pipeline, baseStyle, basePrefix);
                prior = new PriorPreservation(after, adapters.adapters.isEmpty() ? null : before);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            print(out, target, prior, settings);
            if (json != null) {
                Map<String, Object> report = report(target, prior, settings, alphas, classifierDir, seconds);
                AtomicFiles.writeString(json, ConfigJson.write(report));
            }
            log.printf(Locale.ROOT, "sara: evaluated in %.1f s%s%n", seconds, json == null ? "" : "; wrote " + json);
            log.flush();
        }
        return 0;
    }

    private void print(PrintWriter out, StyleScores target, PriorPreservation prior, Evaluator.Settings s) {
        out.printf(Locale.ROOT, "%d held-out prompts per style, %d %s steps, guidance %s, seed %d%n", s.samples(), s.steps(),
                sampler, s.guidance(), s.seed());
        out.printf(Locale.ROOT, "style fidelity      %-9s FD %.4f   (classified as %s: %.3f)%n", target.style().label(),
                target.fidelity().frechetDistance(), target.style().label(), target.fidelity().styleAccuracy());
        out.printf(Locale.ROOT, "prompt accuracy     %-9s %.3f      (shape %.3f, colour %.3f)%n", target.style().label(),
                target.accuracy().accuracy(), target.accuracy().shapeAccuracy(), target.accuracy().colourAccuracy());
        if (prior != null) {
            StyleScores a = prior.after();
            out.printf(Locale.ROOT, "prior preservation  %-9s FD %.4f   prompt accuracy %.3f"
                    + "   (classified as %s: %.3f)%n", a.style().label(), a.fidelity().frechetDistance(), a.accuracy().accuracy(), a.style().label(),
                    a.fidelity().styleAccuracy());
            if (prior.before() != null) {
                StyleScores b = prior.before();
                out.printf(Locale.ROOT, "  without adapters  %-9s FD %.4f   prompt accuracy %.3f"
                        + "   (change: FD %+.4f, accuracy %+.3f)%n", b.style().label(), b.fidelity().frechetDistance(), b.accuracy().accuracy(), prior.fidelityChange(),
                        prior.accuracyChange());
            }
        }
        out.flush();
    }

    private Map<String, Object> report(StyleScores target, PriorPreservation prior, Evaluator.Settings s,
            List<Double> alphas, Path classifierDir, double seconds) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model.model.toString());
        List<Map<String, Object>> applied = new ArrayList<>();
        for (int i = 0; i < adapters.adapters.size(); i++) {
            applied.add(Map.of("file", adapters.adapters.get(i).toString(), "scale", alphas.get(i)));
        }
        r.put("adapters", applied);
        r.put("classifier", classifierDir.toString());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("samples", s.samples());
        settings.put("steps", s.steps());
        settings.put("guidance", s.guidance());
        settings.put("sampler", s.sampler().name().toLowerCase(Locale.ROOT));
        settings.put("seed", s.seed());
        settings.put("dtype", model.dtype);
        r.put("settings", settings);
        r.put("target", scores(target));
        if (prior != null) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("after", scores(prior.after()));
            if (prior.before() != null) {
                p.put("before", scores(prior.before()));
                p.put("frechet_distance_change", prior.fidelityChange());
                p.put("prompt_accuracy_change", prior.accuracyChange());
            }
            r.put("prior_preservation", p);
        }
        r.put("seconds", Math.round(seconds * 10) / 10.0);
        return r;
    }

    private static Map<String, Object> scores(StyleScores s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("style", s.style().label());
        m.put("prompt_prefix", s.promptPrefix());
        m.put("frechet_distance", s.fidelity().frechetDistance());
        m.put("style_accuracy", s.fidelity().styleAccuracy());
        m.put("prompt_accuracy", s.accuracy().accuracy());
        m.put("shape_accuracy", s.accuracy().shapeAccuracy());
        m.put("colour_accuracy", s.accuracy().colourAccuracy());
        m.put("images", s.fidelity().count());
        return m;
    }

    /** Parses a style by its label, listing the labels when it is not one. */
    static final class StyleConverter implements picocli.CommandLine.ITypeConverter<Style> {
        @Override
        public Style convert(String value) {
            for (Style s : Style.values()) {
                if (s.label().equalsIgnoreCase(value)) {
                    return s;
                }
            }
            throw new picocli.CommandLine.TypeConversionException("unsupported style '" + value + "' (supported: "
                    + String.join(", ", Arrays.stream(Style.values()).map(Style::label).toList()) + ")");
        }
    }
}
