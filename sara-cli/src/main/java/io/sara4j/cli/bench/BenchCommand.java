package io.sara4j.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.core.io.AtomicFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sara bench}: step time and peak memory of each fine-tuning method at each batch size, one
 * child JVM ({@link BenchWorker}) per configuration so every peak is the method's own, then
 * {@code bench.md} (a table with ratios to the frozen floor, full fine-tuning and matched-count
 * LoRA of the same run) and {@code bench.json} (raw figures and ratios), both written atomically.
 * A configuration that fails (out of memory, a crash) becomes a row saying so.
 */
@Command(name = "bench", description = {"Measure step time and peak memory per fine-tuning method, one JVM per configuration.",
    "Writes bench.md and bench.json into --out; per-configuration logs go to --out/runs/."})
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--methods", paramLabel = "LIST",
            description = "Comma-separated methods (default: all: frozen,weight-grads,full,sara,sara-rank,masked-dense,lora-matched,lora-r4).")
    String methods = BenchMethod.allIds();

    @Option(names = "--batch-sizes", split = ",", defaultValue = "1,4", paramLabel = "LIST",
            description = "Comma-separated batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> batchSizes;

    @Option(names = "--steps", defaultValue = "20", description = "Measured steps per configuration (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "3", description = "Unmeasured steps before them (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--threads", defaultValue = "0",
            description = "libtorch intra-op threads in each child; 0 leaves libtorch's default (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--unet-config", paramLabel = "FILE", description = "A UNet config.json to benchmark with random weights.")
    Path unetConfig;

    @Option(names = "--model", paramLabel = "PATH",
            description = "A diffusers folder or single-file checkpoint whose UNet (with its weights) to benchmark (default: none).")
    Path model;

    @Option(names = "--latent-size", paramLabel = "N", description = "Latent side (default: the config's sample_size, else 32).")
    Integer latentSize;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of weights, inputs and timesteps (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for bench.md, bench.json and runs/.")
    Path out;

    @Option(names = "--sara-fraction", defaultValue = "0.1", paramLabel = "F",
            description = "Fraction of the weights SaRA and masked-dense train, smallest |w| first; lora-matched matches"
                    + " that count (default: ${DEFAULT-VALUE}, the issue's benchmark setting).")
    double saraFraction;

    @Option(names = "--gradient-checkpointing", description = "Recompute each UNet resnet's and transformer's activations"
            + " in backward instead of keeping them (same gradients, less memory, one more forward of each block).")
    boolean gradientCheckpointing;

    @Option(names = "--profile", description = "Also record the last measured step of each configuration with libtorch's"
            + " profiler into runs/<method>-b<batch>.trace.json (Chrome trace format; its own time is not measured).")
    boolean profile;

    @Override
    public Integer call() throws Exception {
        List<BenchMethod> chosen = BenchMethod.parseList(methods);
        validate(chosen);
        BenchModel bench = BenchModel.choose(unetConfig, model, latentSize); // fail here, not in every child
        PrintWriter err = spec.commandLine().getErr();
        Path runs = out.resolve("runs");
        Files.createDirectories(runs);
        String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String loadBefore = MachineInfo.loadAverage();
        List<BenchResult> results = new ArrayList<>();
        for (int batch : batchSizes) {
            for (BenchMethod m : chosen) {
                BenchResult r = runChild(m, batch, runs);
                results.add(r);
                err.println(r.ok()
                        ? String.format(Locale.ROOT, "sara bench: %s batch %d: %.3f s/step (median), peak %.0f MiB", m.id(), batch,
                                r.step().median(), r.peakRssMiB())
                        : "sara bench: " + m.id() + " batch " + batch + ": failed: " + r.error());
                err.flush();
                write(bench, date, loadBefore, results); // a bench stopped half-way still leaves its table so far
            }
        }
        String markdown = write(bench, date, loadBefore, results);
        spec.commandLine().getOut().print(markdown);
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** Writes bench.json and bench.md for the results so far (atomically) and returns the Markdown. */
    private String write(BenchModel bench, String date, String loadBefore, List<BenchResult> results) throws IOException {
        long parameters = results.stream().filter(BenchResult::ok).mapToLong(BenchResult::parameters).findFirst().orElse(0);
        BenchReport report = new BenchReport("sara " + String.join(" ", spec.commandLine().getParseResult().originalArgs()),
                date, MachineInfo.current(), loadBefore, MachineInfo.loadAverage(), bench.source(), parameters,
                bench.latentSize(), saraFraction, gradientCheckpointing, steps, warmup, threads, seed, results, BenchComparison.of(results));
        String markdown = BenchTable.markdown(report);
        AtomicFiles.writeString(out.resolve("bench.json"), report.toJson());
        AtomicFiles.writeString(out.resolve("bench.md"), markdown);
        return markdown;
    }

    private void validate(List<BenchMethod> chosen) {
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("--methods names no method (supported: " + BenchMethod.allIds() + ")");
        }
        if (batchSizes.isEmpty() || batchSizes.stream().anyMatch(b -> b < 1)) {
            throw new IllegalArgumentException("--batch-sizes must be positive integers, got " + batchSizes);
        }
        if (!(saraFraction > 0 && saraFraction < 1)) {
            throw new IllegalArgumentException("--sara-fraction must be in (0, 1), got " + saraFraction);
        }
        if (steps < 1 || warmup < 0 || threads < 0) {
            throw new IllegalArgumentException("need --steps ≥ 1, --warmup ≥ 0 and --threads ≥ 0; got " + steps + ", " + warmup
                    + ", " + threads);
        }
    }

    /** Runs one configuration in its own JVM and reads its result; any failure becomes a failed result. */
    private BenchResult runChild(BenchMethod m, int batch, Path runs) throws Exception {
        String name = m.id() + "-b" + batch;
        Path resultFile = runs.resolve(name + ".json");
        Path log = runs.resolve(name + ".log");
        Files.deleteIfExists(resultFile);
        List<String> args = new ArrayList<>(List.of("--method", m.id(), "--batch", Integer.toString(batch), "--steps",
                Integer.toString(steps), "--warmup", Integer.toString(warmup), "--seed", Long.toString(seed),
                "--result", resultFile.toAbsolutePath().toString()));
        if (unetConfig != null) {
            args.addAll(List.of("--unet-config", unetConfig.toAbsolutePath().toString()));
        }
        if (model != null) {
            args.addAll(List.of("--model", model.toAbsolutePath().toString()));
        }
        if (latentSize != null) {
            args.addAll(List.of("--latent-size", latentSize.toString()));
        }
        args.addAll(List.of("--sara-fraction", Double.toString(saraFraction)));
        if (gradientCheckpointing) {
            args.add("--gradient-checkpointing");
        }
        if (profile) {
            args.addAll(List.of("--profile", runs.resolve(name + ".trace.json").toAbsolutePath().toString()));
        }
        List<String> options = threads > 0 ? List.of("-Dai.djl.pytorch.num_threads=" + threads) : List.of();
        int code = ChildJvm.run(ChildJvm.command(BenchWorker.class, options, args), log);
        if (Files.isRegularFile(resultFile)) {
            return new ObjectMapper().readValue(resultFile.toFile(), BenchResult.class);
        }
        return BenchResult.failed(m.id(), batch, ChildJvm.describeExit(code, log));
    }
}
