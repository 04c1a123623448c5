package io.sara4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.diffusion.data.shapes.ShapesDataset;
import io.sara4j.diffusion.data.shapes.ShapesOptions;
import io.sara4j.diffusion.data.shapes.Style;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plumbing of {@code sara eval} on a tiny random model (the scores themselves mean nothing there). */
class EvalCommandTest {
    @TempDir
    Path dir;
    private Path model;

    @BeforeEach
    void setUp() throws Exception {
        model = TinyModelFolder.write(dir.resolve("model"), 4);
    }

    private static CliRun run(String... args) {
        return CliRun.sara(args);
    }

    private String[] eval(String... extra) {
        String[] base = {"eval", "--model", model.toString(), "--style", "stripes", "--samples", "4", "--steps", "2"};
        String[] all = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void printsTheScoresAndWritesJson() throws Exception {
        Path json = dir.resolve("scores.json");
        CliRun r = run(eval("--base-style", "plain", "--json", json.toString()));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("style fidelity", "stripes", "prompt accuracy", "prior preservation", "plain");
        assertThat(r.out()).doesNotContain("without adapters");
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertThat(root.path("target").path("style").asText()).isEqualTo("stripes");
        assertThat(root.path("target").path("prompt_prefix").asText()).isEqualTo("stripes style, ");
        assertThat(root.path("target").path("images").asInt()).isEqualTo(4);
        assertThat(root.path("target").path("frechet_distance").isNumber()).isTrue();
        assertThat(root.path("prior_preservation").path("after").path("style").asText()).isEqualTo("plain");
        assertThat(root.path("prior_preservation").has("before")).isFalse();
        assertThat(root.path("settings").path("samples").asInt()).isEqualTo(4);
        assertThat(root.path("classifier").asText()).endsWith("shapes-classifier");
    }

    @Test
    void withAnAdapterThePriorIsComparedWithTheBaseAndTheSameSeedRepeats() throws Exception {
        Path data = dir.resolve("data");
        ShapesDataset.generate(data, List.of(Style.STRIPES), 4, 2, ShapesOptions.builder().optImageSize(8).build());
        Path runDir = dir.resolve("run");
        CliRun train = run("train", "--model", model.toString(), "--data", data.toString(), "--out", runDir.toString(),
                "--steps", "1", "--batch-size", "2", "--method", "sara", "--threshold", "0.05",
                "--caption-prefix", "stripes style, ");
        assertThat(train.code()).as(train.err()).isZero();
        Path adapter = runDir.resolve("adapter.safetensors");
        Path a = dir.resolve("a.json");
        Path b = dir.resolve("b.json");
        String[] common = eval("--adapter", adapter.toString(), "--scale", "1.5", "--base-style", "plain", "--seed", "3");
        CliRun first = run(concat(common, "--json", a.toString()));
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.out()).contains("without adapters");
        assertThat(run(concat(common, "--json", b.toString())).code()).isZero();
        ObjectMapper mapper = new ObjectMapper();
        JsonNode ja = mapper.readTree(a.toFile());
        JsonNode jb = mapper.readTree(b.toFile());
        assertThat(ja.path("target")).isEqualTo(jb.path("target"));
        assertThat(ja.path("prior_preservation")).isEqualTo(jb.path("prior_preservation"));
        assertThat(ja.path("prior_preservation").has("before")).isTrue();
        assertThat(ja.path("prior_preservation").path("frechet_distance_change").isNumber()).isTrue();
        assertThat(ja.path("adapters").get(0).path("scale").asDouble()).isEqualTo(1.5);
    }

    @Test
    void anUnknownStyleListsTheStyles() {
        CliRun r = run("eval", "--model", model.toString(), "--style", "wavy");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("wavy").contains("plain, outline, stripes, dots, checker, gradient, speckle");
    }

    @Test
    void aMissingClassifierIsNamedAndNothingIsWritten() {
        Path json = dir.resolve("x.json");
        CliRun r = run(eval("--classifier", dir.resolve("nope").toString(), "--json", json.toString()));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("sara: error:").contains("nope").contains("train-classifier");
        assertThat(Files.exists(json)).isFalse();
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
