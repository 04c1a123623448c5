package io.sara4j.cli.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.HostArrays;
import io.sara4j.core.peft.NewtonSchulz;
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
 * {@code sara bench-rank}: the rank penalty's cost, Newton–Schulz ({@link NewtonSchulz#fastPolar})
 * against an exact SVD (EJML) on SaRA-like matrices ({@link PenalizedMatrix}) of the square sizes
 * 320², 640², 1280² and SD1.5's attention and feed-forward weight shapes: time of each, and
 * Newton–Schulz's error against the SVD's U·Vᵀ. Writes {@code rank.md} and {@code rank.json}
 * atomically (issue 11's micro-benchmark; see docs/benchmarks.md).
 */
@Command(name = "bench-rank", description = {"Time the rank penalty's polar factor: Newton–Schulz against an exact SVD.",
    "Writes rank.md and rank.json into --out."})
public final class RankPenaltyBench implements Callable<Integer> {
    /** 320², 640², 1280²; SD1.5 cross-attention to_k/to_v (out, 768); GEGLU proj (8c, c); feed-forward out (c, 4c). */
    static final String DEFAULT_SHAPES = "320x320,640x640,1280x1280,320x768,640x768,1280x768,2560x320,5120x640,10240x1280,"
            + "320x1280,640x2560,1280x5120";
    /** SVD repeats on a small matrix before the first measurement, so EJML runs JIT-compiled. */
    private static final int SVD_JIT_WARMUP = 20;

    @Spec
    CommandSpec spec;

    @Option(names = "--shapes", defaultValue = DEFAULT_SHAPES, paramLabel = "LIST",
            description = "Comma-separated ROWSxCOLS (default: ${DEFAULT-VALUE}).")
    String shapes;

    @Option(names = "--repeats", defaultValue = "3", description = "Measured repeats per method and shape (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--density", defaultValue = "0.1",
            description = "Fraction of entries kept in P ⊙ M, the smallest |w| (default: ${DEFAULT-VALUE}).")
    double density;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the matrices (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for rank.md and rank.json.")
    Path out;

    @Override
    public Integer call() throws Exception {
        List<int[]> parsed = parseShapes(shapes);
        if (repeats < 1) {
            throw new IllegalArgumentException("--repeats must be at least 1, got " + repeats);
        }
        PenalizedMatrix.requireDensity(density);
        Files.createDirectories(out);
        PrintWriter err = spec.commandLine().getErr();
        String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String loadBefore = MachineInfo.loadAverage();
        List<RankBenchRow> rows = new ArrayList<>();
        try (NDManager root = Engines.pytorch().newBaseManager()) {
            warmUpSvd();
            for (int i = 0; i < parsed.size(); i++) {
                int[] shape = parsed.get(i);
                RankBenchRow row = measure(root, PenalizedMatrix.random(shape[0], shape[1], density, seed + i));
                rows.add(row);
                err.println(String.format(Locale.ROOT, "sara bench-rank: %s: SVD %.3f s, Newton–Schulz %.3f s (%.3f×), %d steps,"
                        + " gradient error %.1e", row.shape(), row.svdSeconds().median(), row.newtonSchulzSeconds().median(),
                        row.timeRatio(), row.iterations(), row.gradientError()));
                err.flush();
                write(date, loadBefore, rows); // a run stopped half-way still leaves its table so far
            }
        }
        String markdown = write(date, loadBefore, rows);
        spec.commandLine().getOut().print(markdown);
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** Parses {@code --shapes}: comma-separated ROWSxCOLS with positive integers. */
    static List<int[]> parseShapes(String list) {
        List<int[]> parsed = new ArrayList<>();
        for (String item : list.split(",")) {
            String[] parts = item.trim().toLowerCase(Locale.ROOT).split("x");
            try {
                if (parts.length != 2) {
                    throw new NumberFormatException();
                }
                int rows = Integer.parseInt(parts[0].trim());
                int cols = Integer.parseInt(parts[1].trim());
                if (rows < 1 || cols < 1) {
                    throw new NumberFormatException();
                }
                parsed.add(new int[] {rows, cols});
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--shapes: expected ROWSxCOLS with positive integers (e.g. 320x768), got '"
                        + item.trim() + "'");
            }
        }
        return parsed;
    }

    /** Both routes on one matrix: SVD repeats, then Newton–Schulz after one warm-up; errors from the last of each. */
    private RankBenchRow measure(NDManager root, PenalizedMatrix a) {
        double[] svdSeconds = new double[repeats];
        ExactPolar exact = null;
        for (int k = 0; k < repeats; k++) {
            long start = System.nanoTime();
            exact = ExactPolar.of(a.toDoubles(), a.rows(), a.cols());
            svdSeconds[k] = (System.nanoTime() - start) / 1e9;
        }
        FastResult fast = fastPolar(root, a); // warm-up: libtorch's first products of a shape allocate and plan
        double[] nsSeconds = new double[repeats];
        for (int k = 0; k < repeats; k++) {
            long start = System.nanoTime();
            fast = fastPolar(root, a);
            nsSeconds[k] = (System.nanoTime() - start) / 1e9;
        }
        long nonZeros = 0;
        for (float v : a.values()) {
            nonZeros += v != 0 ? 1 : 0;
        }
        Spread svd = Spread.of(svdSeconds);
        Spread ns = Spread.of(nsSeconds);
        return new RankBenchRow(a.rows(), a.cols(), nonZeros, svd, ns, fast.iterations(), relativeError(fast.factor(), exact.factor()),
                Math.abs(fast.nuclearNorm() - exact.nuclearNorm()) / exact.nuclearNorm(), ns.median() / svd.median());
    }

    /** What the rank penalty pays: the matrix into the engine, the polar factor, the factor back out. */
    private record FastResult(float[] factor, double nuclearNorm, int iterations) {}

    private static FastResult fastPolar(NDManager root, PenalizedMatrix a) {
        try (NDManager m = root.newSubManager()) {
            NDArray matrix = HostArrays.of(m, a.values(), new Shape(a.rows(), a.cols()));
            try (NewtonSchulz.PolarFactor polar = NewtonSchulz.fastPolar(matrix)) {
                return new FastResult(polar.factor().toFloatArray(), polar.nuclearNorm(), polar.iterations());
            }
        }
    }

    /** ‖q − exact‖_F / ‖exact‖_F (0 when both are zero). */
    static double relativeError(float[] q, double[] exact) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < q.length; i++) {
            double d = q[i] - exact[i];
            diff += d * d;
            norm += exact[i] * exact[i];
        }
        return norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
    }

    private void warmUpSvd() {
        PenalizedMatrix small = PenalizedMatrix.random(64, 64, 0.5, seed);
        for (int k = 0; k < SVD_JIT_WARMUP; k++) {
            ExactPolar.of(small.toDoubles(), small.rows(), small.cols());
        }
    }

    /** Writes rank.json and rank.md for the rows so far (atomically) and returns the Markdown. */
    private String write(String date, String loadBefore, List<RankBenchRow> rows) throws IOException {
        RankBenchReport report = new RankBenchReport("sara " + String.join(" ",
                spec.commandLine().getParseResult().originalArgs()), date, MachineInfo.current(), loadBefore,
                MachineInfo.loadAverage(), JniUtils.getNumThreads(), density, seed, repeats, List.copyOf(rows));
        String markdown = RankBenchTable.markdown(report);
        AtomicFiles.writeString(out.resolve("rank.json"), report.toJson());
        AtomicFiles.writeString(out.resolve("rank.md"), markdown);
        return markdown;
    }
}
