package io.sara4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainCommandTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.sara(args);
    }

    @Test
    void writesAModelWithProgressAndItsTrainingRecord() throws Exception {
        Path out = dir.resolve("base");
        CliRun r = run("pretrain", "--out", out.toString(), "--steps", "3", "--batch-size", "2", "--warmup", "1",
                "--channels", "8,16", "--text-width", "16", "--images-per-style", "4", "--styles", "plain,checker",
                "--log-every", "1", "--checkpoint-every", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("step 3/3", "it/s", "ETA", "checkpoint at step 2", "wrote " + out);
        JsonNode record = new ObjectMapper().readTree(out.resolve("training.json").toFile());
        assertThat(record.get("command").asText()).startsWith("sara pretrain --out " + out);
        assertThat(record.get("machine").get("nproc").asInt()).isPositive();
        assertThat(record.get("machine").get("cpu_model").asText()).isNotBlank();
        assertThat(record.get("machine").get("torch_threads").asInt()).isPositive();
        assertThat(record.get("settings").get("block_out_channels").toString()).isEqualTo("[8,16]");
        assertThat(record.get("settings").get("styles").toString()).isEqualTo("[\"plain\",\"checker\"]");

        CliRun again = run("pretrain", "--out", out.toString(), "--steps", "3", "--warmup", "1");
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("already exists");
    }

    @Test
    void anUnknownStyleIsABadUsageNamingTheChoices() {
        CliRun r = run("pretrain", "--out", dir.resolve("x").toString(), "--styles", "plain,zigzag");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("zigzag", "stripes");
    }
}
