package io.sara4j.cli.bench;

import java.util.List;
import java.util.Locale;

/**
 * {@code rank.md}: the run's settings and machine, one table row per shape, and whether the target
 * of issue 11 (Newton–Schulz ≤ 0.25× the SVD's time at 1280² with gradient error ≤ 1e-2) was met.
 */
public final class RankBenchTable {
    private RankBenchTable() {}

    /** The whole Markdown document for {@code report}. */
    public static String markdown(RankBenchReport report) {
        StringBuilder md = new StringBuilder();
        md.append("# sara bench-rank\n\n");
        md.append("- command: `").append(report.command()).append("`\n");
        md.append("- date: ").append(report.date()).append('\n');
        md.append(String.format(Locale.ROOT, "- matrix: P ⊙ M, N(0, 0.02²) weights keeping the %s smallest |w| (density %s); seed %d%n",
                percent(report.density()), report.density(), report.seed()));
        md.append(String.format(Locale.ROOT, "- repeats: %d per method and shape, Newton–Schulz after one warm-up;"
                + " libtorch threads: %d (EJML's SVD: 1)%n", report.repeats(), report.torchThreads()));
        MachineInfo m = report.machine();
        md.append(String.format(Locale.ROOT, "- machine: %s, %d cores, %.1f GiB; %s; Java %s%n", m.cpu(), m.cores(), m.memoryGiB(),
                m.os(), m.java()));
        md.append("- load average (1/5/15 min): ").append(report.loadBefore()).append(" at the start, ")
                .append(report.loadAfter()).append(" at the end\n\n");
        md.append("| shape | non-zeros | SVD s (median) | SVD min–max s | NS s (median) | NS min–max s | NS / SVD | NS steps"
                + " | gradient error | nuclear-norm error |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (RankBenchRow r : report.rows()) {
            md.append(row(r)).append('\n');
        }
        Boolean met = report.targetMet();
        if (met != null) {
            md.append(String.format(Locale.ROOT, "%nTarget at %s (NS / SVD ≤ %.2f, gradient error ≤ %.0e): %s.%n",
                    RankBenchReport.TARGET_SHAPE, RankBenchReport.TARGET_TIME_RATIO, RankBenchReport.TARGET_GRADIENT_ERROR,
                    met ? "met" : "not met"));
        }
        md.append("""

                SVD: EJML's compact SVD in float64 and U·Vᵀ over the non-zero singular values (the exact
                subgradient of the nuclear norm). NS: NewtonSchulz.fastPolar in float32 through libtorch, including
                the copy of the matrix into the engine and of the factor back out. Gradient error is
                ‖Q − U·Vᵀ‖_F / ‖U·Vᵀ‖_F; nuclear-norm error is |trace(Qᵀ·A) − Σσ| / Σσ.
                """);
        return md.toString();
    }

    /** One table row; the test rebuilds it from rank.json. */
    static String row(RankBenchRow r) {
        return "| " + String.join(" | ", List.of(r.shape(), String.format(Locale.ROOT, "%,d", r.nonZeros()),
                seconds(r.svdSeconds().median()), seconds(r.svdSeconds().min()) + "–" + seconds(r.svdSeconds().max()),
                seconds(r.newtonSchulzSeconds().median()),
                seconds(r.newtonSchulzSeconds().min()) + "–" + seconds(r.newtonSchulzSeconds().max()),
                String.format(Locale.ROOT, "%.3f", r.timeRatio()), Integer.toString(r.iterations()),
                String.format(Locale.ROOT, "%.1e", r.gradientError()), String.format(Locale.ROOT, "%.1e", r.nuclearNormError())))
                + " |";
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.3f", s);
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.4g%%", 100 * fraction);
    }
}
