package io.sara4j.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchTableTest {
    private static BenchReport report(List<BenchResult> results) {
        return new BenchReport("sara bench --out x", "2026-01-01T00:00:00Z", new MachineInfo("cpu", 2, 24, "os", "17"),
                "3.00 2.00 1.00", "0.10 0.10 0.10", "test model", 1000, 8, 0.1, false, 1, 1, 0, 0, results, BenchComparison.of(results));
    }

    @Test
    void aFailedRunIsARowSayingSoWithItsReasonBelowAndTheLoadIsFlagged() {
        String md = BenchTable.markdown(report(List.of(BenchComparisonTest.result("frozen", 1, 0.5, 1000),
                BenchResult.failed("sara", 1, "killed (SIGKILL)"))));
        List<String> rows = md.lines().filter(l -> l.startsWith("| ")).toList();
        assertThat(rows).hasSize(4);
        int columns = rows.get(0).split(" \\| ").length;
        assertThat(rows).allSatisfy(r -> assertThat(r.split(" \\| ")).hasSize(columns));
        assertThat(rows.get(3)).startsWith("| sara | 1 | failed | failed");
        assertThat(md).contains("- sara at batch 1: killed (SIGKILL)");
        assertThat(md).contains("timings are indicative");
        assertThat(rows.get(0)).contains("step ×frozen").doesNotContain("×full").doesNotContain("×lora-matched");
    }
}
