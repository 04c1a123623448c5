package io.sara4j.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Runs {@code sara bench-rank} on tiny shapes and checks what it writes against its own JSON; no timing is asserted. */
class RankPenaltyBenchTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.execute(new CommandLine(new RankPenaltyBench()), args);
    }

    @Test
    void tinyShapesWriteATableRebuiltFromTheJson() throws Exception {
        Path out = dir.resolve("rank");
        CliRun r = run("--shapes", "8x8,12x6", "--repeats", "1", "--density", "0.5", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(out.resolve("rank.json").toFile());
        assertThat(json.get("repeats").asInt()).isEqualTo(1);
        assertThat(json.get("density").asDouble()).isEqualTo(0.5);
        JsonNode rows = json.get("rows");
        assertThat(rows).hasSize(2);
        String md = Files.readString(out.resolve("rank.md"));
        int[][] shapes = {{8, 8}, {12, 6}};
        for (int i = 0; i < 2; i++) {
            JsonNode row = rows.get(i);
            assertThat(row.get("rows").asInt()).isEqualTo(shapes[i][0]);
            assertThat(row.get("cols").asInt()).isEqualTo(shapes[i][1]);
            assertThat(row.get("nonZeros").asLong()).isEqualTo(shapes[i][0] * shapes[i][1] / 2);
            double svd = row.get("svdSeconds").get("median").asDouble();
            double ns = row.get("newtonSchulzSeconds").get("median").asDouble();
            assertThat(svd).isPositive();
            assertThat(ns).isPositive();
            assertThat(row.get("timeRatio").asDouble()).isCloseTo(ns / svd, within(1e-12));
            assertThat(row.get("gradientError").asDouble()).isBetween(0.0, 1e-2);
            assertThat(row.get("nuclearNormError").asDouble()).isBetween(0.0, 1e-4);
            assertThat(row.get("iterations").asInt()).isPositive();
            String expected = String.format(Locale.ROOT, "| %dx%d | %d | %.3f | %.3f–%.3f | %.3f | %.3f–%.3f | %.3f | %d | %.1e | %.1e |",
                    shapes[i][0], shapes[i][1], row.get("nonZeros").asLong(), svd, svd, svd, ns, ns, ns, ns / svd,
                    row.get("iterations").asInt(), row.get("gradientError").asDouble(), row.get("nuclearNormError").asDouble());
            assertThat(md).contains(expected);
        }
        assertThat(md).contains("- command: `sara --shapes 8x8,12x6", "machine:", "| shape | non-zeros |")
                .doesNotContain("Target at"); // 1280x1280 not run: no verdict
        assertThat(r.out()).isEqualTo(md);
    }

    @Test
    void badOptionsNameTheOptionAndWhatWasExpected() {
        CliRun shapes = run("--shapes", "8x8,12by6", "--out", dir.toString());
        assertThat(shapes.code()).isNotZero();
        assertThat(shapes.err()).contains("--shapes", "ROWSxCOLS", "12by6");
        assertThatThrownBy(() -> RankPenaltyBench.parseShapes("0x5")).hasMessageContaining("--shapes").hasMessageContaining("0x5");
        CliRun density = run("--shapes", "4x4", "--density", "1.5", "--out", dir.toString());
        assertThat(density.code()).isNotZero();
        assertThat(density.err()).contains("--density", "(0, 1]", "1.5");
        CliRun repeats = run("--shapes", "4x4", "--repeats", "0", "--out", dir.toString());
        assertThat(repeats.code()).isNotZero();
        assertThat(repeats.err()).contains("--repeats", "at least 1");
    }

    @Test
    void penalizedMatrixKeepsTheSmallestMagnitudes() {
        PenalizedMatrix a = PenalizedMatrix.random(40, 25, 0.1, 3);
        int kept = 0;
        float largestKept = 0;
        for (float v : a.values()) {
            if (v != 0) {
                kept++;
                largestKept = Math.max(largestKept, Math.abs(v));
            }
        }
        assertThat(kept).isEqualTo(100);
        // the same seed draws the same weights: every dropped one is at least as large as every kept one
        java.util.Random random = new java.util.Random(3);
        for (int i = 0; i < a.values().length; i++) {
            float w = (float) (PenalizedMatrix.WEIGHT_STD * random.nextGaussian());
            assertThat(a.values()[i] == 0 ? Math.abs(w) >= largestKept : a.values()[i] == w).isTrue();
        }
    }

    @Test
    void exactPolarIsOrthogonalOnTheRangeAndGivesTheNuclearNorm() {
        // R·diag(3, 2, 0) for a rotation R of the first two axes: U·Vᵀ = R·diag(1, 1, 0) (the null direction
        // is left out), ‖A‖_* = 5
        double c = Math.cos(0.3);
        double s = Math.sin(0.3);
        double[] a = {3 * c, -2 * s, 0, 3 * s, 2 * c, 0, 0, 0, 0};
        ExactPolar p = ExactPolar.of(a, 3, 3);
        assertThat(p.nuclearNorm()).isCloseTo(5, within(1e-12));
        double[] expected = {c, -s, 0, s, c, 0, 0, 0, 0};
        for (int i = 0; i < 9; i++) {
            assertThat(p.factor()[i]).as("entry %d", i).isCloseTo(expected[i], within(1e-12));
        }
        DMatrixRMaj q = new DMatrixRMaj(3, 3, true, p.factor());
        DMatrixRMaj qtq = new DMatrixRMaj(3, 3);
        CommonOps_DDRM.multTransA(q, q, qtq);
        assertThat(qtq.get(0, 0) + qtq.get(1, 1) + qtq.get(2, 2)).isCloseTo(2, within(1e-12));
    }
}
