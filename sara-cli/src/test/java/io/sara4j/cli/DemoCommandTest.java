package io.sara4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sara4j.cli.report.ReportChecks;
import io.sara4j.diffusion.loading.BundledFolders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {
    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.sara(args);
    }

    private String[] demo(Path model, Path out, String... extra) {
        String[] base = {"demo", "--model", model.toString(), "--out", out.toString(), "--steps", "4", "--samples", "4",
            "--images", "16", "--batch-size", "2", "--sample-steps", "2", "--checkpoint-every", "2", "--threshold", "0.05"};
        String[] all = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void theDemoRunsEndToEndWritesAValidReportAndResumesInsteadOfRedoing() throws Exception {
        Path model = TinyModelFolder.writePixel(dir.resolve("model"), 3);
        Path out = dir.resolve("run");
        CliRun first = run(demo(model, out));
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.out()).contains("report: " + out.resolve("report.html"), "style fidelity", "prior preservation on plain");
        assertThat(first.err()).contains("generating 16 training images", "trainable values");
        Document doc = ReportChecks.assertValid(out.resolve("report.html"));
        // 3 training + 3 held-out prompts, before and after each, plus the loss plot
        assertThat(doc.select("img.samples")).hasSize(12);
        assertThat(doc.select("img.plot")).hasSize(1);
        assertThat(doc.select("td").eachText()).contains("style fidelity (FD, lower is better)", "stripes", "plain");
        assertThat(doc.select("p.result").text()).contains("stripes style fidelity");
        assertThat(Files.readAllLines(out.resolve("train/losses.csv"))).hasSize(5);
        String after = Files.readString(out.resolve("after.json"));
        String before = Files.readString(out.resolve("before.json"));

        // finished phases are kept: nothing is generated, trained or scored again
        CliRun again = run(demo(model, out));
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("before: already scored", "sara: training already done", "after: already scored")
                .doesNotContain("generating");

        // an interrupted run (training done up to its checkpoint, nothing scored after) continues from
        // the checkpoint and reproduces the same scores
        Files.delete(out.resolve("train/summary.json"));
        Files.delete(out.resolve("after.json"));
        Files.delete(out.resolve("report.html"));
        CliRun resumed = run(demo(model, out));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("resuming from the checkpoint at step 4", "before: already scored");
        assertThat(Files.readString(out.resolve("before.json"))).isEqualTo(before);
        assertThat(Files.readString(out.resolve("after.json"))).isEqualTo(after);
        ReportChecks.assertValid(out.resolve("report.html"));

        // other settings in the same folder are refused, naming the field
        CliRun other = run(demo(model, out, "--seed", "7"));
        assertThat(other.code()).isEqualTo(1);
        assertThat(other.err()).contains("run.json", "seed = 0 (this run has 7)");
    }

    @Test
    void aMissingBundledModelIsAClearError() {
        assertThatThrownBy(() -> BundledFolders.find(Path.of("models", "no-such-model"), "model_index.json", "the bundled base model"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the bundled base model (models/no-such-model) was not found")
                .hasMessageContaining("-Dsara.home=");
    }
}
