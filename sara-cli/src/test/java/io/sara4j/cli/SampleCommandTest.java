package io.sara4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sara4j.diffusion.pipeline.Images;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SampleCommandTest {
    @TempDir
    Path dir;

    private int run(StringWriter err, String... args) {
        CommandLine cli = SaraMain.commandLine();
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void writesAGridAndTheSameSeedGivesTheSameBytes() throws Exception {
        Path model = TinyModelFolder.write(dir.resolve("model"), 3);
        Path a = dir.resolve("a.png");
        Path b = dir.resolve("b.png");
        String[] common = {"sample", "--model", model.toString(), "--prompt", "a red", "--n", "3", "--steps", "2",
            "--columns", "2", "--seed", "9"};
        StringWriter err = new StringWriter();
        assertThat(run(err, concat(common, "--out", a.toString()))).as(err.toString()).isZero();
        assertThat(run(new StringWriter(), concat(common, "--out", b.toString()))).isZero();
        BufferedImage grid = Images.read(a);
        // 3 images of 8x8 (sample_size 4 x VAE factor 2) in 2 columns with 2-pixel gaps
        assertThat(grid.getWidth()).isEqualTo(18);
        assertThat(grid.getHeight()).isEqualTo(18);
        assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
        assertThat(err.toString()).contains("wrote 3 image(s) of 8x8");
    }

    @Test
    void aMissingAdapterFailsWithOneLineNamingTheFile() throws Exception {
        Path model = TinyModelFolder.write(dir.resolve("model"), 3);
        StringWriter err = new StringWriter();
        int code = run(err, "sample", "--model", model.toString(), "--prompt", "a", "--adapter",
                dir.resolve("nope.safetensors").toString(), "--out", dir.resolve("x.png").toString());
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).startsWith("sara: error:").contains("nope.safetensors");
        assertThat(Files.exists(dir.resolve("x.png"))).isFalse();
    }

    @Test
    void badDtypeIsNamed() throws Exception {
        Path model = TinyModelFolder.write(dir.resolve("model"), 3);
        StringWriter err = new StringWriter();
        int code = run(err, "sample", "--model", model.toString(), "--prompt", "a", "--dtype", "bf16",
                "--out", dir.resolve("x.png").toString());
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("--dtype").contains("fp32, fp16");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
