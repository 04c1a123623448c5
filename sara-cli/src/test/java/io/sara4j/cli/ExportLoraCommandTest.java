package io.sara4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.nn.Engines;
import io.sara4j.diffusion.data.shapes.ShapesDataset;
import io.sara4j.diffusion.data.shapes.ShapesOptions;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.pipeline.DiffusersFolder;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;
import static org.assertj.core.api.Assertions.assertThat;

class ExportLoraCommandTest {
    @TempDir
    Path dir;
    private Path model;
    private Path adapter;

    @BeforeEach
    void trainASaraAdapter() throws Exception {
        model = TinyModelFolder.write(dir.resolve("model"), 6);
        Path data = dir.resolve("data");
        ShapesDataset.generate(data, List.of(Style.DOTS), 4, 2, ShapesOptions.builder().optImageSize(16).build());
        Path run = dir.resolve("run");
        CliRun train = CliRun.sara("train", "--model", model.toString(), "--data", data.toString(), "--out", run.toString(),
                "--steps", "3", "--batch-size", "2", "--resolution", "8", "--method", "sara", "--threshold", "0.05");
        assertThat(train.code()).as(train.err()).isZero();
        adapter = run.resolve("adapter.safetensors");
    }

    private static double overall(String out, String what) {
        Matcher m = Pattern.compile(what + " ([0-9.eE+-]+)").matcher(out.substring(out.indexOf("overall:")));
        assertThat(m.find()).as(out).isTrue();
        return Double.parseDouble(m.group(1).replaceAll(",$", ""));
    }

    @Test
    void writesBothLayoutsAndTheTableAndIsExactAtFullRank() throws Exception {
        Path out = dir.resolve("lora");
        CliRun r = CliRun.sara("export-lora", "--model", model.toString(), "--adapter", adapter.toString(), "--energy", "0.9",
                "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("tensor", "rank/max", "kept energy", "rel. error", "overall:", "left out (no LoRA form)",
                "down_blocks.0.resnets.0.conv1.weight", "conv_in.bias");
        assertThat(overall(r.out(), "kept energy")).isGreaterThanOrEqualTo(0.9);
        try (SafetensorsFile d = SafetensorsFile.open(out.resolve("lora_diffusers.safetensors"));
                SafetensorsFile k = SafetensorsFile.open(out.resolve("lora_kohya.safetensors"))) {
            assertThat(d.names()).isNotEmpty().allMatch(n -> n.startsWith("unet.") && (n.endsWith(".lora_A.weight") || n.endsWith(".lora_B.weight")));
            assertThat(k.names()).isNotEmpty().allMatch(n -> n.startsWith("lora_unet_"));
            assertThat(k.names()).anyMatch(n -> n.endsWith(".alpha"));
            assertThat(d.metadata()).containsEntry("source_method", "sara");
        }

        CliRun full = CliRun.sara("export-lora", "--model", model.toString(), "--adapter", adapter.toString(), "--rank", "100000",
                "--out", dir.resolve("full").toString());
        assertThat(full.code()).as(full.err()).isZero();
        assertThat(overall(full.out(), "relative error")).isLessThan(1e-5);
        assertThat(overall(full.out(), "kept energy")).isGreaterThan(0.999999);

        // both files are adapters for the other commands too, and give the same model
        Path kohyaImage = dir.resolve("kohya.png");
        Path diffusersImage = dir.resolve("diffusers.png");
        for (Path[] pair : new Path[][] {{out.resolve("lora_kohya.safetensors"), kohyaImage},
                {out.resolve("lora_diffusers.safetensors"), diffusersImage}}) {
            CliRun sample = CliRun.sara("sample", "--model", model.toString(), "--adapter", pair[0].toString(),
                    "--prompt", "dots style, a red", "--n", "1", "--steps", "2", "--out", pair[1].toString());
            assertThat(sample.code()).as(sample.err()).isZero();
        }
        assertThat(Files.readAllBytes(kohyaImage)).isEqualTo(Files.readAllBytes(diffusersImage));

        // the same model as a single-file checkpoint gives the same export
        Path single = dir.resolve("model.safetensors");
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            StableDiffusionPipeline.load(DiffusersFolder.open(model), m, DataType.FLOAT32).saveSingleFile(single, false, null);
        }
        CliRun fromFile = CliRun.sara("export-lora", "--model", single.toString(), "--adapter", adapter.toString(),
                "--energy", "0.9", "--out", dir.resolve("from-file").toString());
        assertThat(fromFile.code()).as(fromFile.err()).isZero();
        assertThat(Files.readAllBytes(dir.resolve("from-file/lora_kohya.safetensors")))
                .isEqualTo(Files.readAllBytes(out.resolve("lora_kohya.safetensors")));
    }

    @Test
    void badInputIsRefusedNamingTheFile() throws Exception {
        Path missing = dir.resolve("nope.safetensors");
        CliRun r = CliRun.sara("export-lora", "--model", model.toString(), "--adapter", missing.toString(), "--rank", "2",
                "--out", dir.resolve("o").toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains(missing.toString(), "no such adapter file");

        Path weights = model.resolve("unet/diffusion_pytorch_model.safetensors");
        CliRun notAdapter = CliRun.sara("export-lora", "--model", model.toString(), "--adapter", weights.toString(), "--rank", "2",
                "--out", dir.resolve("o").toString());
        assertThat(notAdapter.code()).isNotZero();
        assertThat(notAdapter.err()).contains(weights.toString(), "not a sara4j");

        Path other = TinyModelFolder.write(dir.resolve("other"), 7);
        CliRun wrongModel = CliRun.sara("export-lora", "--model", other.toString(), "--adapter", adapter.toString(), "--rank", "2",
                "--out", dir.resolve("o").toString());
        assertThat(wrongModel.code()).isNotZero();
        assertThat(wrongModel.err()).contains(adapter.toString());

        CliRun both = CliRun.sara("export-lora", "--model", model.toString(), "--adapter", adapter.toString(), "--rank", "2",
                "--energy", "0.9", "--out", dir.resolve("o").toString());
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
    }

    @Test
    void helpDocumentsEveryOption() {
        CliRun help = CliRun.sara("export-lora", "--help");
        assertThat(help.code()).isZero();
        CommandLine cmd = SaraMain.commandLine().getSubcommands().get("export-lora");
        for (OptionSpec option : cmd.getCommandSpec().options()) {
            assertThat(help.out()).contains(option.longestName());
            if (!option.usageHelp() && !option.versionHelp()) {
                assertThat(String.join(" ", option.description())).as(option.longestName())
                        .containsAnyOf("default", "required");
            }
        }
    }
}
