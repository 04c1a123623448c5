package io.sara4j.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchComparisonTest {
    static BenchResult result(String method, int batch, double medianSeconds, double peakMiB) {
        Spread s = new Spread(medianSeconds, medianSeconds, medianSeconds, medianSeconds, medianSeconds);
        return new BenchResult(method, batch, null, 1000, 10, 100, 1, peakMiB, peakMiB, peakMiB, s, s, s, 1.0, 0.9,
                new double[] {medianSeconds}, "test");
    }

    @Test
    void ratiosAreToTheReferencesOfTheSameBatchSize() {
        List<BenchResult> results = List.of(
                result("frozen", 1, 0.5, 1000), result("full", 1, 1.0, 1400), result("lora-matched", 1, 0.6, 1200),
                result("sara", 1, 0.75, 1100), result("frozen", 4, 2.0, 3000), result("sara", 4, 3.0, 3300));
        List<BenchComparison> c = BenchComparison.of(results);
        assertThat(c).hasSize(6);
        BenchComparison sara1 = c.get(3);
        assertThat(sara1.method()).isEqualTo("sara");
        assertThat(sara1.timeVsFrozen()).isCloseTo(1.5, within(1e-12));
        assertThat(sara1.timeVsFull()).isCloseTo(0.75, within(1e-12));
        assertThat(sara1.timeVsLora()).isCloseTo(1.25, within(1e-12));
        assertThat(sara1.aboveFloorMiB()).isCloseTo(100, within(1e-12));
        assertThat(sara1.aboveFloorVsFull()).isCloseTo(0.25, within(1e-12));   // 100 / 400
        assertThat(sara1.aboveFloorVsLora()).isCloseTo(0.5, within(1e-12));    // 100 / 200
        BenchComparison sara4 = c.get(5);
        assertThat(sara4.timeVsFrozen()).isCloseTo(1.5, within(1e-12));
        assertThat(sara4.aboveFloorMiB()).isCloseTo(300, within(1e-12));
        assertThat(sara4.timeVsFull()).as("full was not run at batch 4").isNull();
        assertThat(sara4.aboveFloorVsLora()).isNull();
    }

    @Test
    void aFailedReferenceOrNothingAboveTheFloorGivesNoRatioAndFailedRunsNoComparison() {
        List<BenchResult> results = List.of(result("frozen", 1, 0.5, 1000), BenchResult.failed("full", 1, "killed"),
                result("lora-matched", 1, 0.6, 990), result("sara", 1, 0.7, 1050));
        List<BenchComparison> c = BenchComparison.of(results);
        assertThat(c).extracting(BenchComparison::method).containsExactly("frozen", "lora-matched", "sara");
        assertThat(c.get(2).timeVsFull()).isNull();
        assertThat(c.get(2).aboveFloorVsLora()).as("LoRA's peak is below the floor: no ratio").isNull();
        assertThat(c.get(1).aboveFloorMiB()).isCloseTo(-10, within(1e-12));
    }
}
