package io.sara4j.cli.bench;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.List;

/**
 * Everything one {@code sara bench-rank} run produced, as written to {@code rank.json}.
 *
 * @param command the command line as typed
 * @param date when the run started (ISO-8601, UTC)
 * @param machine the machine
 * @param loadBefore load averages (1, 5, 15 min) when the run started
 * @param loadAfter load averages when it ended
 * @param torchThreads libtorch's intra-op threads (Newton–Schulz); EJML's SVD runs on one thread
 * @param density fraction of entries kept in P ⊙ M
 * @param seed seed of the matrices
 * @param repeats measured repeats per shape and method
 * @param rows one per shape, in the order given
 */
public record RankBenchReport(String command, String date, MachineInfo machine, String loadBefore, String loadAfter,
        int torchThreads, double density, long seed, int repeats, List<RankBenchRow> rows) {

    /** The shape the target is stated at (issue 11). */
    static final String TARGET_SHAPE = "1280x1280";
    /** Target: Newton–Schulz at most this fraction of the SVD's time at {@link #TARGET_SHAPE}. */
    static final double TARGET_TIME_RATIO = 0.25;
    /** Target: gradient error at most this at {@link #TARGET_SHAPE}. */
    static final double TARGET_GRADIENT_ERROR = 1e-2;

    /** The report as indented JSON. */
    public String toJson() {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the rank benchmark report as JSON", e);
        }
    }

    /** Whether the row at {@link #TARGET_SHAPE} meets both targets; null when that shape was not run. */
    @JsonIgnore
    public Boolean targetMet() {
        return rows.stream().filter(r -> r.shape().equals(TARGET_SHAPE)).findFirst()
                .map(r -> r.timeRatio() <= TARGET_TIME_RATIO && r.gradientError() <= TARGET_GRADIENT_ERROR).orElse(null);
    }
}
