package io.sara4j.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.core.nn.Engines;
import io.sara4j.diffusion.unet.UNet2DConditionConfig;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.sara4j.cli.CliRun;
import picocli.CommandLine;

/** Runs {@code sara bench} for real (two child JVMs on a tiny UNet) and checks what it writes; no timing is asserted. */
class BenchCommandTest {
    static final String TINY_UNET = """
            {"block_out_channels": [8, 16], "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
             "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "cross_attention_dim": 16,
             "attention_head_dim": 2, "norm_num_groups": 4, "layers_per_block": 1,
             "in_channels": 4, "out_channels": 4, "sample_size": 8}
            """;

    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.execute(new CommandLine(new BenchCommand()), args);
    }

    @Test
    void saraAtAChosenFractionWithGradientCheckpointingIsRecorded() throws Exception {
        Path config = dir.resolve("unet.json");
        Files.writeString(config, TINY_UNET);
        Path out = dir.resolve("bench-sara");
        CliRun r = run("--unet-config", config.toString(), "--methods", "sara", "--batch-sizes", "1", "--steps", "1",
                "--warmup", "0", "--threads", "1", "--sara-fraction", "0.25", "--gradient-checkpointing", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();

        JsonNode json = new ObjectMapper().readTree(out.resolve("bench.json").toFile());
        assertThat(json.get("saraFraction").asDouble()).isEqualTo(0.25);
        assertThat(json.get("gradientCheckpointing").asBoolean()).isTrue();
        JsonNode sara = json.get("results").get(0);
        assertThat(sara.get("error").isNull()).as(sara.toString()).isTrue();
        // the exact quantile: round(f·n) values (random weights have no ties at θ)
        assertThat(sara.get("trainable").asLong()).isEqualTo(Math.round(0.25 * json.get("parameters").asLong()));
        assertThat(Double.isFinite(sara.get("firstLoss").asDouble())).isTrue();
        assertThat(Files.readString(out.resolve("bench.md")))
                .contains("gradient checkpointing on", "train the 25% of weights smallest in magnitude");
    }

    @Test
    void benchOnATinyUnetWritesAConsistentTableAndJson() throws Exception {
        Path config = dir.resolve("unet.json");
        Files.writeString(config, TINY_UNET);
        Path out = dir.resolve("bench");
        CliRun r = run("--unet-config", config.toString(), "--methods", "frozen,weight-grads,full", "--batch-sizes", "2", "--steps", "2",
                "--warmup", "1", "--threads", "1", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();

        long parameters;
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            parameters = new UNet2DConditionModel(m, UNet2DConditionConfig.parse(TINY_UNET)).parameterCount();
        }
        JsonNode json = new ObjectMapper().readTree(out.resolve("bench.json").toFile());
        assertThat(json.get("parameters").asLong()).isEqualTo(parameters);
        JsonNode results = json.get("results");
        assertThat(results).hasSize(3);
        Map<String, JsonNode> byMethod = new HashMap<>();
        for (JsonNode res : results) {
            assertThat(res.get("error").isNull()).as(res.toString()).isTrue();
            assertThat(res.get("batch").asInt()).isEqualTo(2);
            double[] steps = doubles(res.get("stepSeconds"));
            assertThat(steps).hasSize(2);
            assertThat(Arrays.stream(steps).min().orElseThrow()).isPositive();
            JsonNode step = res.get("step");
            assertThat(step.get("min").asDouble()).isEqualTo(Math.min(steps[0], steps[1]));
            assertThat(step.get("max").asDouble()).isEqualTo(Math.max(steps[0], steps[1]));
            assertThat(step.get("median").asDouble()).isCloseTo((steps[0] + steps[1]) / 2, org.assertj.core.api.Assertions.within(1e-12));
            assertThat(res.get("forward").get("median").asDouble() + res.get("backwardUpdate").get("median").asDouble())
                    .as("forward and backward+update are parts of the step").isLessThanOrEqualTo(step.get("max").asDouble() + 1e-9);
            double peak = res.get("peakRssMiB").asDouble();
            assertThat(peak).as("VmHWM is at least every RSS seen").isGreaterThanOrEqualTo(res.get("rssFirstMiB").asDouble())
                    .isGreaterThanOrEqualTo(res.get("rssEndMiB").asDouble()).isGreaterThan(50);
            assertThat(Double.isFinite(res.get("firstLoss").asDouble()) && Double.isFinite(res.get("lastLoss").asDouble())).isTrue();
            byMethod.put(res.get("method").asText(), res);
        }
        assertThat(byMethod.get("frozen").get("trainable").asLong()).isZero();
        assertThat(byMethod.get("frozen").get("stateBytes").asLong()).isZero();
        assertThat(byMethod.get("weight-grads").get("trainable").asLong()).isZero(); // gradients only, nothing updated
        assertThat(byMethod.get("weight-grads").get("stateBytes").asLong()).isZero();
        assertThat(byMethod.get("full").get("trainable").asLong()).isEqualTo(parameters);
        // values, gradients and two moments in float32 at least
        assertThat(byMethod.get("full").get("stateBytes").asLong()).isGreaterThanOrEqualTo(16 * parameters);

        // the table: one header, one separator, one row per result; every cell filled and equal to the JSON's figures
        List<String> rows = Files.readAllLines(out.resolve("bench.md")).stream().filter(l -> l.startsWith("| ")).toList();
        assertThat(rows).hasSize(5);
        List<String> header = cells(rows.get(0));
        assertThat(header).contains("step ×frozen", "step ×full", "above floor MiB", "above floor ×full")
                .doesNotContain("step ×lora-matched");
        double frozenMedian = byMethod.get("frozen").get("step").get("median").asDouble();
        double fullMedian = byMethod.get("full").get("step").get("median").asDouble();
        double frozenPeak = byMethod.get("frozen").get("peakRssMiB").asDouble();
        double fullAbove = byMethod.get("full").get("peakRssMiB").asDouble() - frozenPeak;
        for (String row : rows.subList(2, 5)) {
            List<String> c = cells(row);
            assertThat(c).hasSameSizeAs(header).allSatisfy(cell -> assertThat(cell).isNotBlank().isNotEqualTo("failed"));
            JsonNode res = byMethod.get(c.get(0));
            double median = res.get("step").get("median").asDouble();
            double above = res.get("peakRssMiB").asDouble() - frozenPeak;
            assertThat(c.get(header.indexOf("step s (median)"))).isEqualTo(fmt("%.3f", median));
            assertThat(c.get(header.indexOf("step ×frozen"))).isEqualTo(fmt("%.2f", median / frozenMedian));
            assertThat(c.get(header.indexOf("step ×full"))).isEqualTo(fmt("%.2f", median / fullMedian));
            assertThat(c.get(header.indexOf("peak MiB"))).isEqualTo(fmt("%.0f", res.get("peakRssMiB").asDouble()));
            assertThat(c.get(header.indexOf("above floor MiB"))).isEqualTo(fmt("%.0f", above));
            assertThat(c.get(header.indexOf("above floor ×full"))).isEqualTo(fullAbove > 0 ? fmt("%.2f", above / fullAbove) : "n/a");
            assertThat(c.get(header.indexOf("trainable"))).isEqualTo(fmt("%,d", res.get("trainable").asLong()));
        }
        assertThat(cells(rows.get(2)).get(header.indexOf("step ×frozen"))).isEqualTo("1.00");

        JsonNode comparisons = json.get("comparisons");
        assertThat(comparisons).hasSize(3);
        for (JsonNode c : comparisons) {
            JsonNode res = byMethod.get(c.get("method").asText());
            assertThat(c.get("timeVsFrozen").asDouble()).isEqualTo(res.get("step").get("median").asDouble() / frozenMedian);
            assertThat(c.get("aboveFloorMiB").asDouble()).isEqualTo(res.get("peakRssMiB").asDouble() - frozenPeak);
        }
        assertThat(out.resolve("runs/frozen-b2.log")).exists();
        assertThat(r.out()).contains("| frozen | 2 |", "| weight-grads | 2 |", "| full | 2 |");
    }

    @Test
    void unknownMethodsAndBadNumbersAreRefusedBeforeAnyChildStarts() {
        CliRun bad = run("--methods", "frozen,qlora", "--out", dir.resolve("x").toString());
        assertThat(bad.code()).isNotZero();
        assertThat(bad.err()).contains("'qlora'", "--methods", "lora-matched");
        CliRun zero = run("--batch-sizes", "0", "--out", dir.resolve("y").toString());
        assertThat(zero.code()).isNotZero();
        assertThat(zero.err()).contains("--batch-sizes");
        assertThat(dir.resolve("x")).doesNotExist();
    }

    private static List<String> cells(String row) {
        String inner = row.substring(2, row.length() - 2);
        return new ArrayList<>(Arrays.stream(inner.split(" \\| ")).map(String::strip).toList());
    }

    private static double[] doubles(JsonNode array) {
        double[] d = new double[array.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = array.get(i).asDouble();
        }
        return d;
    }

    private static String fmt(String format, Object value) {
        return String.format(Locale.ROOT, format, value);
    }
}
