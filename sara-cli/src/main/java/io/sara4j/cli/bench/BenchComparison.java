package io.sara4j.cli.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * One result set against the references measured in the same run at the same batch size: step time
 * as a multiple of the frozen floor's, full fine-tuning's and matched-count LoRA's, and memory above
 * the floor (peak RSS minus the frozen run's peak RSS) alone and as a multiple of full's and LoRA's.
 * A value is {@code null} when its reference was not run, failed, or has nothing above the floor to
 * divide by.
 *
 * @param method the {@link BenchMethod#id()}
 * @param batch examples per step
 * @param timeVsFrozen median step time / frozen's median step time
 * @param timeVsFull median step time / full fine-tuning's
 * @param timeVsLora median step time / lora-matched's
 * @param aboveFloorMiB peak RSS − frozen's peak RSS
 * @param aboveFloorVsFull above-floor memory / full fine-tuning's above-floor memory
 * @param aboveFloorVsLora above-floor memory / lora-matched's above-floor memory
 */
public record BenchComparison(String method, int batch, Double timeVsFrozen, Double timeVsFull, Double timeVsLora,
        Double aboveFloorMiB, Double aboveFloorVsFull, Double aboveFloorVsLora) {

    /** The comparison of every completed result in {@code results} (failed ones are skipped). */
    public static List<BenchComparison> of(List<BenchResult> results) {
        List<BenchComparison> out = new ArrayList<>();
        for (BenchResult r : results) {
            if (!r.ok()) {
                continue;
            }
            BenchResult frozen = reference(results, BenchMethod.FROZEN, r.batch());
            BenchResult full = reference(results, BenchMethod.FULL, r.batch());
            BenchResult lora = reference(results, BenchMethod.LORA_MATCHED, r.batch());
            Double above = frozen == null ? null : r.peakRssMiB() - frozen.peakRssMiB();
            Double fullAbove = frozen == null || full == null ? null : full.peakRssMiB() - frozen.peakRssMiB();
            Double loraAbove = frozen == null || lora == null ? null : lora.peakRssMiB() - frozen.peakRssMiB();
            out.add(new BenchComparison(r.method(), r.batch(), timeRatio(r, frozen), timeRatio(r, full), timeRatio(r, lora),
                    above, ratio(above, fullAbove), ratio(above, loraAbove)));
        }
        return out;
    }

    /** The completed result of {@code method} at {@code batch}, or {@code null}. */
    static BenchResult reference(List<BenchResult> results, BenchMethod method, int batch) {
        return results.stream().filter(r -> r.ok() && r.batch() == batch && r.method().equals(method.id()))
                .findFirst().orElse(null);
    }

    private static Double timeRatio(BenchResult r, BenchResult reference) {
        return reference == null ? null : ratio(r.step().median(), reference.step().median());
    }

    private static Double ratio(Double value, Double reference) {
        return value == null || reference == null || reference <= 0 ? null : value / reference;
    }
}
