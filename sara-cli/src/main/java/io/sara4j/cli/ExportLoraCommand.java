package io.sara4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.peft.AdapterFiles;
import io.sara4j.core.peft.Lora;
import io.sara4j.core.peft.SparseAdapter;
import io.sara4j.diffusion.export.ExportedLora;
import io.sara4j.diffusion.export.LoraLayout;
import io.sara4j.diffusion.export.LowRankExport;
import io.sara4j.diffusion.loading.SingleFileOptions;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sara export-lora}: a sparse adapter (SaRA or another sparse/full method) approximated per
 * weight by a truncated SVD and written as two UNet LoRA files, diffusers/PEFT-named and
 * kohya-named, for tools that load LoRA but not sara4j adapters. Prints what each tensor keeps.
 */
@Command(name = "export-lora", description = {
    "Approximate a sparse adapter's ΔW per weight by a rank-r SVD and write it as LoRA files:",
    "<out>/lora_diffusers.safetensors (unet.<module>.lora_A/lora_B.weight, diffusers' load_lora_weights) and",
    "<out>/lora_kohya.safetensors (lora_unet_<module_with_underscores>.lora_down/lora_up.weight, .alpha = r).",
    "1-D tensors (biases, norms) have no LoRA form and are left out; the table says how much of ΔP they hold."})
final class ExportLoraCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "The model the adapter was trained on, a diffusers folder or a single-file checkpoint; its UNet is"
                    + " loaded (fp32) to check the base (required).")
    Path model;

    @Option(names = "--config", paramLabel = "DIR",
            description = "For a single-file --model: a diffusers folder whose unet/config.json to use (default: the"
                    + " file's own metadata, else inferred from its tensors).")
    Path config;

    @Option(names = "--variant", paramLabel = "NAME",
            description = "Weights variant to load, e.g. fp16 for *.fp16.safetensors (default: the standard file, or the only one present).")
    String variant;

    @Option(names = "--adapter", required = true, paramLabel = "FILE",
            description = "The sparse adapter to export (format sara4j.sparse-adapter) (required).")
    Path adapter;

    @ArgGroup(exclusive = true, multiplicity = "1")
    RankRule rule;

    static final class RankRule {
        @Option(names = "--rank", paramLabel = "R",
                description = "Keep rank R per weight, capped at min(out, in·k·k) (no default: give --rank or --energy).")
        Integer rank;

        @Option(names = "--energy", paramLabel = "E",
                description = "Keep per weight the smallest rank whose Σσ²(kept)/Σσ² ≥ E, E in (0, 1] (no default: give --rank or --energy).")
        Double energy;

        LowRankExport.Rule toRule() {
            return rank != null ? new LowRankExport.Rule.Rank(rank) : new LowRankExport.Rule.Energy(energy);
        }
    }

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Output folder, created if missing; its two LoRA files are replaced atomically (required).")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(adapter)) {
            throw new IllegalArgumentException(adapter + ": no such adapter file");
        }
        String format = AdapterFiles.format(adapter);
        if (Lora.FORMAT.equals(format)) {
            throw new IllegalArgumentException(adapter + ": is a LoRA adapter already (" + format
                    + "); export-lora takes sparse adapters (" + SparseAdapter.FORMAT + ")");
        }
        if (!SparseAdapter.FORMAT.equals(format)) {
            throw new IllegalArgumentException(adapter + ": not a sara4j sparse adapter (format '" + format + "')");
        }
        LowRankExport.Rule chosen = rule.toRule();
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (NDManager manager = Engines.pytorch().newBaseManager()) {
            UNet2DConditionModel unet = StableDiffusionPipeline.loadUnet(model, variant, new SingleFileOptions(config, null),
                    manager, DataType.FLOAT32);
            try (SparseAdapter a = SparseAdapter.read(adapter, manager)) {
                a.fingerprint().check(unet, "adapter " + adapter + " (for the UNet of " + model + ")");
                LowRankExport.Result result = LowRankExport.export(a, chosen);
                printTable(o, result, chosen);
                Files.createDirectories(out);
                Map<String, String> meta = Map.of("source_adapter", adapter.getFileName().toString(),
                        "source_method", a.method(), "rule", describe(chosen));
                for (LoraLayout layout : LoraLayout.values()) {
                    Path file = out.resolve("lora_" + layout.id() + ".safetensors");
                    ExportedLora.write(result, layout, file, meta);
                    o.printf(Locale.ROOT, "wrote %s (%s layout, %,d bytes)%n", file, layout.id(), Files.size(file));
                }
            }
        }
        o.flush();
        err.flush();
        return 0;
    }

    private static String describe(LowRankExport.Rule rule) {
        return rule instanceof LowRankExport.Rule.Rank r ? "rank " + r.rank()
                : "energy " + ((LowRankExport.Rule.Energy) rule).energy();
    }

    static void printTable(PrintWriter o, LowRankExport.Result result, LowRankExport.Rule rule) {
        int width = Math.max(6, result.factors().stream().mapToInt(f -> f.parameter().length()).max().orElse(6));
        o.printf(Locale.ROOT, "LoRA export by %s per weight%n", describe(rule));
        o.printf(Locale.ROOT, "%-" + width + "s  %-16s  %9s  %11s  %10s%n", "tensor", "shape", "rank/max", "kept energy", "rel. error");
        for (LowRankExport.Factor f : result.factors()) {
            o.printf(Locale.ROOT, "%-" + width + "s  %-16s  %9s  %11.6f  %10.3e%n", f.parameter(), shape(f.shape()),
                    f.rank() + "/" + f.maxRank(), f.keptEnergy(), f.relativeError());
        }
        long written = result.factors().stream().filter(f -> f.rank() > 0).count();
        o.printf(Locale.ROOT, "overall: %d weights (%d with a non-zero change), kept energy %.6f, relative error %.3e%n",
                result.factors().size(), written, result.keptEnergy(), result.relativeError());
        double total = result.totalSquaredNorm();
        o.printf(Locale.ROOT, "left out (no LoRA form): %d tensors holding %.4f%% of the adapter's ‖Δ‖²%n",
                result.leftOut().size(), total == 0 ? 0 : 100 * result.leftOutSquaredNorm() / total);
        for (LowRankExport.LeftOut l : result.leftOut()) {
            o.printf(Locale.ROOT, "  %-" + width + "s  %-16s  %.4f%%%n", l.parameter(), shape(l.shape()),
                    total == 0 ? 0 : 100 * l.squaredNorm() / total);
        }
    }

    private static String shape(long[] shape) {
        return Arrays.toString(shape).replace(" ", "");
    }
}
