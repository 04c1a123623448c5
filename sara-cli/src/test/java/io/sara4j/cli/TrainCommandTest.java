package io.sara4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sara4j.core.peft.AdapterFiles;
import io.sara4j.diffusion.data.shapes.ShapesDataset;
import io.sara4j.diffusion.data.shapes.ShapesOptions;
import io.sara4j.diffusion.data.shapes.Style;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TrainCommandTest {
    @TempDir
    Path dir;
    private Path model;
    private Path data;

    @BeforeEach
    void setUp() throws Exception {
        model = TinyModelFolder.write(dir.resolve("model"), 6);
        data = dir.resolve("data");
        ShapesDataset.generate(data, List.of(Style.DOTS), 4, 2, ShapesOptions.builder().optImageSize(16).build());
    }

    private static CliRun run(String... args) {
        return CliRun.sara(args);
    }

    private String[] train(Path out, String method, String... extra) {
        String[] base = {"train", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
            "--steps", "3", "--batch-size", "2", "--resolution", "8", "--log-every", "1", "--checkpoint-every", "2",
            "--method", method, "--threshold", "0.05", "--caption-prefix", "dots style, "};
        String[] all = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @ParameterizedTest
    @ValueSource(strings = {"sara", "lora", "full", "random", "largest", "masked"})
    void everyMethodTrainsAndItsAdapterSamples(String method) throws Exception {
        Path out = dir.resolve(method);
        CliRun r = run(train(out, method));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("step 3/3", "checkpoint at step 2", "adapter");
        assertThat(out.resolve("adapter.safetensors")).exists();
        assertThat(Files.readAllLines(out.resolve("losses.csv"))).hasSize(4);
        String expectedFormat = method.equals("lora") ? "sara4j.lora-adapter" : "sara4j.sparse-adapter";
        if (!method.equals("full")) {
            assertThat(AdapterFiles.format(out.resolve("adapter.safetensors"))).isEqualTo(expectedFormat);
        }
        CliRun sample = run("sample", "--model", model.toString(), "--adapter", out.resolve("adapter.safetensors").toString(),
                "--prompt", "dots style, a red", "--n", "1", "--steps", "2", "--out", dir.resolve(method + ".png").toString());
        assertThat(sample.code()).as(sample.err()).isZero();
    }

    @Test
    void aFinishedRunIsResumedAsDoneAndOtherSettingsAreRefused() {
        Path out = dir.resolve("run");
        assertThat(run(train(out, "sara")).code()).isZero();
        CliRun again = run(train(out, "sara"));
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("resuming from the checkpoint at step 3");
        CliRun other = run(train(out, "sara", "--seed", "5"));
        assertThat(other.code()).isEqualTo(1);
        assertThat(other.err()).contains("seed = 0", "this run has 5");
    }

    @Test
    void unknownMethodIsNamed() {
        CliRun r = run(train(dir.resolve("x"), "dora"));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("--method", "sara, lora, full");
    }
}
