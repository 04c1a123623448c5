package io.sara4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.peft.AdapterFiles;
import io.sara4j.diffusion.data.shapes.ShapesDataset;
import io.sara4j.diffusion.data.shapes.ShapesOptions;
import io.sara4j.diffusion.data.shapes.Style;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;
import static org.assertj.core.api.Assertions.assertThat;

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
    void theLoopOptionsTakeEffectAndTheResolvedConfigurationIsWritten() throws Exception {
        Path out = dir.resolve("all");
        CliRun r = run(train(out, "sara", "--grad-accum", "2", "--gradient-checkpointing", "--ema-decay", "0.9",
                "--snr-gamma", "5", "--noise-offset", "0.05", "--caption-dropout", "0.2", "--center-crop",
                "--validation-prompt", "dots style, a red", "--validation-prompt", "dots style, a blue",
                "--sample-every", "2", "--validation-split", "0.25", "--validation-steps", "2"));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("validation at step 2: held-out loss", "latent cache:", "encodings saved");
        assertThat(out.resolve("adapter-ema.safetensors")).exists();
        assertThat(out.resolve("samples/step-000000.png")).exists();
        assertThat(out.resolve("samples/step-000002.png")).exists();
        assertThat(out.resolve("validation-loss.png")).exists();
        assertThat(Files.readAllLines(out.resolve("validation.csv"))).hasSize(3); // header, step 0, step 2
        assertThat(Files.readAllLines(out.resolve("steps.jsonl"))).hasSize(3);
        JsonNode config = new ObjectMapper().readTree(out.resolve("train-config.json").toFile());
        assertThat(config.at("/options/--grad-accum").asInt()).isEqualTo(2);
        assertThat(config.at("/options/--guidance").asDouble()).isEqualTo(7.5); // defaults are resolved too
        assertThat(config.at("/training/gradientCheckpointing").asBoolean()).isTrue();
        assertThat(config.at("/training/loss/snrGamma").asDouble()).isEqualTo(5.0);
        assertThat(config.at("/resolved/trainable_values").asLong()).isPositive();
        try (SafetensorsFile adapter = SafetensorsFile.open(out.resolve("adapter.safetensors"))) {
            assertThat(new ObjectMapper().readTree(adapter.metadata().get("training")).at("/options/--grad-accum").asInt())
                    .as("the adapter says how it was made").isEqualTo(2);
        }
    }

    @Test
    void optionsWithoutEffectAreReportedAndGpuIsRefusedWithTheReason() {
        CliRun r = run(train(dir.resolve("notes"), "sara", "--guidance", "3", "--sample-every", "5", "--buckets"));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("note: --guidance has no effect without --validation-prompt",
                "note: --sample-every has no effect without", "buckets", "step 3/3");
        CliRun gpu = run(train(dir.resolve("gpu"), "sara", "--device", "gpu"));
        assertThat(gpu.code()).isEqualTo(1);
        assertThat(gpu.err()).contains("--device gpu", "CUDA");
    }

    @Test
    void badImagesAreRefusedBeforeTheFirstStepAndSkippedOnRequest() throws Exception {
        BufferedImage picture = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(picture, "png", png);
        byte[] bytes = png.toByteArray();
        Files.write(data.resolve("truncated.png"), Arrays.copyOf(bytes, bytes.length / 2));
        Files.write(data.resolve("huge.png"), withHeaderSize(bytes, 60000, 60000));
        Files.writeString(data.resolve("metadata.jsonl"), "{\"file_name\": \"truncated.png\", \"text\": \"a red\"}\n"
                + "{\"file_name\": \"huge.png\", \"text\": \"a blue\"}\n", StandardOpenOption.APPEND);
        CliRun refused = run(train(dir.resolve("bad"), "sara"));
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err()).contains("2 of 6 images cannot be used", "truncated.png", "huge.png",
                "60000x60000", "--skip-bad-images").doesNotContain("step 1/");
        CliRun skipped = run(train(dir.resolve("skip"), "sara", "--skip-bad-images"));
        assertThat(skipped.code()).as(skipped.err()).isZero();
        assertThat(skipped.err()).contains("skipped 2 of 6 images", "on 4 images", "step 3/3");
    }

    /** A copy of a PNG whose IHDR claims {@code width} × {@code height}, with a valid chunk checksum. */
    private static byte[] withHeaderSize(byte[] png, int width, int height) {
        byte[] out = png.clone();
        ByteBuffer b = ByteBuffer.wrap(out); // signature (8), length (4), "IHDR" (4), width, height, ...
        b.putInt(16, width).putInt(20, height);
        CRC32 crc = new CRC32();
        crc.update(out, 12, 4 + 13); // chunk type and data
        b.putInt(29, (int) crc.getValue());
        return out;
    }

    @Test
    void helpDocumentsEveryOptionWithItsDefault() {
        CliRun help = run("train", "--help");
        assertThat(help.code()).isZero();
        CommandLine train = SaraMain.commandLine().getSubcommands().get("train");
        for (OptionSpec option : train.getCommandSpec().options()) {
            if (option.usageHelp() || option.versionHelp() || option.required()) {
                continue;
            }
            assertThat(String.join(" ", option.description())).as(option.longestName()).containsIgnoringCase("default");
            String name = option.longestName();
            assertThat(help.out()).contains(option.negatable() ? "--[no-]" + name.substring(2) : name);
        }
    }

    @Test
    void unknownMethodIsNamed() {
        CliRun r = run(train(dir.resolve("x"), "dora"));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("--method", "sara, lora, full");
    }
}
