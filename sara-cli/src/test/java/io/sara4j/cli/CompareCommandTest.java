package io.sara4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.cli.report.ReportChecks;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareCommandTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.sara(args);
    }

    @Test
    void twoMethodsAreTrainedScoredReportedAndNotRedone() throws Exception {
        Path model = TinyModelFolder.writePixel(dir.resolve("model"), 4);
        Path out = dir.resolve("cmp");
        String[] args = {"compare", "--model", model.toString(), "--out", out.toString(), "--methods", "sara,lora",
            "--thresholds", "0.05", "--steps", "3", "--samples", "4", "--images", "8", "--batch-size", "2",
            "--sample-steps", "2", "--checkpoint-every", "2"};
        CliRun first = run(args);
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.out()).contains("| sara |", "| lora |", "report:");
        Document doc = ReportChecks.assertValid(out.resolve("report.html"));
        assertThat(doc.select("img.samples")).hasSize(3); // base, sara, lora
        assertThat(doc.select("img.plot")).hasSize(1);
        assertThat(doc.select("td").eachText()).contains("sara", "lora", "base", "sara@0.05", "lora@0.05");

        JsonNode json = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        JsonNode vlhi = json.path("vlhi").path("0.05");
        double sum = vlhi.path("sara@0.05").asDouble() + vlhi.path("lora@0.05").asDouble();
        // with two methods the min-max terms are 1 and 0 (or ½ and ½ on a tie) for each measure: they sum to 2
        assertThat(sum).isCloseTo(2.0, org.assertj.core.data.Offset.offset(1e-9));
        // LoRA's rank was matched to SaRA's count: both are reported, both non-zero
        assertThat(json.path("results").get(1).path("training").path("trainable").asLong()).isPositive();
        assertThat(json.path("results").get(2).path("training").path("trainable").asLong()).isPositive();
        assertThat(Files.readString(out.resolve("results.md"))).contains("θ = 0.05", "| method | trainable |");

        CliRun again = run(args);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("sara@0.05: training already done", "lora@0.05: already scored", "base: already scored");
        assertThat(again.out()).isEqualTo(first.out());
    }

    @Test
    void anUnknownMethodIsNamed() {
        CliRun r = run("compare", "--model", dir.toString(), "--methods", "sara,dora");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("dora", "--methods", "sara-no-progressive");
    }
}
