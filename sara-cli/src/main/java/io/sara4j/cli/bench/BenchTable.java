package io.sara4j.cli.bench;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code bench.md}: the run's settings and machine, then one table row per configuration with the
 * ratios to the references measured in the same run. Ratio columns appear only for references that
 * were part of the run; a ratio that cannot be formed (reference failed, nothing above the floor to
 * divide by) reads "n/a", and a failed configuration reads "failed" in every measured column with
 * the reason listed under the table.
 */
public final class BenchTable {
    private BenchTable() {}

    /** The whole Markdown document for {@code report}. */
    public static String markdown(BenchReport report) {
        StringBuilder md = new StringBuilder();
        md.append("# sara bench\n\n");
        md.append("- command: `").append(report.command()).append("`\n");
        md.append("- date: ").append(report.date()).append('\n');
        md.append("- model: ").append(report.model()).append(String.format(Locale.ROOT, ", %,d parameters", report.parameters()))
                .append(String.format(Locale.ROOT, "; latents %dx%d, text states %d tokens%s%n", report.latentSize(),
                        report.latentSize(), BenchModel.TEXT_LENGTH,
                        report.gradientCheckpointing() ? "; gradient checkpointing on (every resnet and transformer)" : ""));
        md.append(String.format(Locale.ROOT, "- steps: %d measured after %d warm-up, one JVM per row; threads: %s; seed %d%n",
                report.steps(), report.warmup(), report.threads() == 0 ? "libtorch default" : report.threads(), report.seed()));
        md.append(String.format(Locale.ROOT, "- SaRA and masked-dense train the %s%% of weights smallest in magnitude%n",
                BigDecimal.valueOf(report.saraFraction() * 100).stripTrailingZeros().toPlainString()));
        MachineInfo m = report.machine();
        md.append(String.format(Locale.ROOT, "- machine: %s, %d cores, %.1f GiB; %s; Java %s%n", m.cpu(), m.cores(), m.memoryGiB(),
                m.os(), m.java()));
        md.append("- load average (1/5/15 min): ").append(report.loadBefore()).append(" at the start, ")
                .append(report.loadAfter()).append(" at the end")
                .append(loaded(report, m) ? " (the machine was shared: timings are indicative)" : "").append('\n');
        report.results().stream().filter(BenchResult::ok).findFirst()
                .ifPresent(r -> md.append("- allocator: ").append(r.allocator()).append('\n'));
        md.append('\n');
        appendTable(md, report);
        List<BenchResult> failed = report.results().stream().filter(r -> !r.ok()).toList();
        if (!failed.isEmpty()) {
            md.append("\nFailures:\n");
            failed.forEach(r -> md.append("- ").append(r.method()).append(" at batch ").append(r.batch()).append(": ")
                    .append(r.error()).append('\n'));
        }
        md.append("""

                Step times are wall-clock seconds per step (inputs, forward, backward, update, freeing the step);
                "fwd" is the forward pass to the loss, "bwd+upd" the rest. Peak is the child JVM's VmHWM; "above
                floor" is peak minus the frozen run's peak at the same batch size; ratios are to the runs of the
                same table. State is the tuner's stateBytes() (values, gradients, moments, indices).
                """);
        return md.toString();
    }

    private static boolean loaded(BenchReport report, MachineInfo m) {
        for (String load : List.of(report.loadBefore(), report.loadAfter())) {
            try {
                if (Double.parseDouble(load.split(" ")[0]) > 0.5 * m.cores()) {
                    return true;
                }
            } catch (NumberFormatException e) {
                return true; // unknown load: do not claim a quiet machine
            }
        }
        return false;
    }

    private static void appendTable(StringBuilder md, BenchReport report) {
        List<String> ids = report.results().stream().map(BenchResult::method).distinct().toList();
        boolean frozen = ids.contains(BenchMethod.FROZEN.id());
        boolean full = ids.contains(BenchMethod.FULL.id());
        boolean lora = ids.contains(BenchMethod.LORA_MATCHED.id());
        List<String> header = new ArrayList<>(List.of("method", "batch", "trainable", "state MiB", "step s (median)",
                "p10–p90 s", "min–max s", "fwd s", "bwd+upd s"));
        addIf(header, frozen, "step ×frozen");
        addIf(header, full, "step ×full");
        addIf(header, lora, "step ×lora-matched");
        header.addAll(List.of("peak MiB", "RSS first→end MiB"));
        addIf(header, frozen, "above floor MiB");
        addIf(header, frozen && full, "above floor ×full");
        addIf(header, frozen && lora, "above floor ×lora-matched");
        header.add("loss first→last");
        row(md, header);
        row(md, header.stream().map(h -> "---").toList());
        List<BenchComparison> comparisons = report.comparisons();
        for (BenchResult r : report.results()) {
            List<String> cells = new ArrayList<>(List.of(r.method(), Integer.toString(r.batch())));
            if (!r.ok()) {
                while (cells.size() < header.size()) {
                    cells.add("failed");
                }
                row(md, cells);
                continue;
            }
            BenchComparison c = comparisons.stream().filter(x -> x.method().equals(r.method()) && x.batch() == r.batch())
                    .findFirst().orElseThrow();
            cells.add(String.format(Locale.ROOT, "%,d", r.trainable()));
            cells.add(String.format(Locale.ROOT, "%.1f", r.stateBytes() / 1048576.0));
            cells.add(seconds(r.step().median()));
            cells.add(seconds(r.step().p10()) + "–" + seconds(r.step().p90()));
            cells.add(seconds(r.step().min()) + "–" + seconds(r.step().max()));
            cells.add(seconds(r.forward().median()));
            cells.add(seconds(r.backwardUpdate().median()));
            addIf(cells, frozen, ratio(c.timeVsFrozen()));
            addIf(cells, full, ratio(c.timeVsFull()));
            addIf(cells, lora, ratio(c.timeVsLora()));
            cells.add(mib(r.peakRssMiB()));
            cells.add(mib(r.rssFirstMiB()) + "→" + mib(r.rssEndMiB()));
            addIf(cells, frozen, c.aboveFloorMiB() == null ? "n/a" : mib(c.aboveFloorMiB()));
            addIf(cells, frozen && full, ratio(c.aboveFloorVsFull()));
            addIf(cells, frozen && lora, ratio(c.aboveFloorVsLora()));
            cells.add(String.format(Locale.ROOT, "%.4f→%.4f", r.firstLoss(), r.lastLoss()));
            row(md, cells);
        }
    }

    private static void addIf(List<String> list, boolean condition, String value) {
        if (condition) {
            list.add(value);
        }
    }

    private static void row(StringBuilder md, List<String> cells) {
        md.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.3f", s);
    }

    private static String mib(double m) {
        return String.format(Locale.ROOT, "%.0f", m);
    }

    private static String ratio(Double r) {
        return r == null ? "n/a" : String.format(Locale.ROOT, "%.2f", r);
    }
}
