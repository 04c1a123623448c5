package io.sara4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.peft.NameFilter;
import io.sara4j.core.peft.WeightMagnitudes;
import io.sara4j.diffusion.eval.PruningStudy;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
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
 * {@code sara analyze}: how many UNet weights fall below each θ (what SaRA would train), by tensor
 * kind, the |w| histogram, and how much the UNet's prediction moves when they are zeroed.
 */
@Command(name = "analyze", description = "Weight magnitudes, trainable count per threshold, and the prune-|w|<θ study.")
final class AnalyzeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Option(names = "--thresholds", split = ",", defaultValue = "2e-4,8e-4,2e-3,5e-3", paramLabel = "θ,...",
            description = "Thresholds to study (default: ${DEFAULT-VALUE}).")
    List<Double> thresholds;

    @Option(names = "--probe", defaultValue = "2", description = "Probe batch size for the pruning study; 0 skips it (default: ${DEFAULT-VALUE}).")
    int probe;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the probe batch (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<Double> thetas = new ArrayList<>(thresholds);
        Collections.sort(thetas);
        try (NDManager manager = Engines.pytorch().newBaseManager()) {
            StableDiffusionPipeline pipeline = model.load(manager);
            UNet2DConditionModel unet = pipeline.unet();
            WeightMagnitudes stats = WeightMagnitudes.of(unet, NameFilter.all(), thetas);
            out.printf(Locale.ROOT, "UNet of %s: %,d values in %d tensors%n%n", model.model, stats.total(),
                    unet.namedParameters().size());

            List<PruningStudy.Result> pruning = List.of();
            if (probe > 0) {
                try (NDManager probeScope = manager.newSubManager()) {
                    List<String> prompts = new ArrayList<>();
                    for (int i = 0; i < probe; i++) {
                        prompts.add(i % 2 == 0 ? "a photograph" : "");
                    }
                    NDArray conditioning = pipeline.encodePrompts(probeScope, prompts);
                    int side = unet.config().sampleSize().isEmpty() ? 64 : unet.config().sampleSize().get(0);
                    Shape sample = new Shape(unet.config().inChannels(), side, side);
                    pruning = PruningStudy.run(unet, pipeline.denoiser(), conditioning, sample,
                            pipeline.schedulerConfig().numTrainTimesteps(), thetas, seed);
                }
            }
            printThresholds(out, stats, pruning);
            printHistogram(out, stats);
        }
        out.flush();
        return 0;
    }

    private static void printThresholds(PrintWriter out, WeightMagnitudes stats, List<PruningStudy.Result> pruning) {
        List<String> kinds = new ArrayList<>(stats.belowByKind().keySet());
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-10s %14s %8s", "theta", "trainable", "share"));
        kinds.forEach(k -> header.append(String.format(Locale.ROOT, " %14s", k)));
        if (!pruning.isEmpty()) {
            header.append("  output change if zeroed");
        }
        out.println(header);
        for (int i = 0; i < stats.thresholds().size(); i++) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-10.3g %,14d %7.3f%%",
                    stats.thresholds().get(i), stats.below().get(i), 100 * stats.fractionBelow(i)));
            for (String k : kinds) {
                row.append(String.format(Locale.ROOT, " %,14d", stats.belowByKind().get(k).get(i)));
            }
            if (!pruning.isEmpty()) {
                row.append(String.format(Locale.ROOT, "  %.3e", pruning.get(i).relativeChange()));
            }
            out.println(row);
        }
        out.println();
    }

    private static void printHistogram(PrintWriter out, WeightMagnitudes stats) {
        out.println("|w| by decade:");
        long max = Collections.max(stats.decadeCounts());
        for (int i = 0; i < stats.decadeCounts().size(); i++) {
            long n = stats.decadeCounts().get(i);
            String lo = i == 0 ? "0" : String.format(Locale.ROOT, "%.0e", stats.decadeEdges().get(i));
            String hi = Double.isInfinite(stats.decadeEdges().get(i + 1)) ? "inf"
                    : String.format(Locale.ROOT, "%.0e", stats.decadeEdges().get(i + 1));
            int bar = max == 0 ? 0 : (int) Math.round(40.0 * n / max);
            out.printf(Locale.ROOT, "  [%5s, %5s) %,14d %s%n", lo, hi, n, "#".repeat(bar));
        }
        Map<String, Long> kinds = stats.totalByKind();
        out.println("values by kind: " + kinds);
    }
}
