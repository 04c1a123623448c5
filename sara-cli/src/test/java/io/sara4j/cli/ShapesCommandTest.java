package io.sara4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sara4j.diffusion.data.DatasetOptions;
import io.sara4j.diffusion.data.ImageCaptionDataset;
import io.sara4j.diffusion.data.shapes.Colour;
import io.sara4j.diffusion.data.shapes.HeldOutSplit;
import io.sara4j.diffusion.data.shapes.ShapeKind;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ShapesCommandTest {
    @TempDir
    Path dir;

    private int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cli = SaraMain.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    @Test
    void writesAFolderThatTrainReadsWithoutTheHeldOutPairs() throws Exception {
        Path data = dir.resolve("stripes");
        StringWriter out = new StringWriter();
        assertThat(run(out, new StringWriter(), "shapes", "--style", "stripes,dots", "--count", "12", "--out", data.toString()))
                .isZero();
        assertThat(out.toString()).contains("wrote 24 images (stripes, dots)");
        List<String> lines = Files.readAllLines(data.resolve("metadata.jsonl"));
        assertThat(lines).hasSize(24).allSatisfy(l -> assertThat(l).contains("\"split\":\"train\""));
        assertThat(lines.stream().filter(l -> l.contains("\"style\":\"dots\""))).hasSize(12);
        ImageCaptionDataset dataset = ImageCaptionDataset.open(data, DatasetOptions.builder().setResolution(32).build());
        assertThat(dataset.size()).isEqualTo(24);
        for (String line : lines) {
            String shape = line.replaceAll(".*\"shape\":\"([a-z]+)\".*", "$1");
            String colour = line.replaceAll(".*\"colour\":\"([a-z]+)\".*", "$1");
            assertThat(HeldOutSplit.DEFAULT.isHeldOut(ShapeKind.valueOf(shape.toUpperCase(Locale.ROOT)),
                    Colour.valueOf(colour.toUpperCase(Locale.ROOT)))).as(shape + " " + colour).isFalse();
        }
    }

    @Test
    void refusesAnExistingFolderAndAnUnknownSplit() throws Exception {
        Path data = dir.resolve("x");
        Files.createDirectories(data);
        Files.writeString(data.resolve("keep.txt"), "mine");
        StringWriter err = new StringWriter();
        assertThat(run(new StringWriter(), err, "shapes", "--style", "plain", "--out", data.toString())).isEqualTo(1);
        assertThat(Files.readString(data.resolve("keep.txt"))).isEqualTo("mine");
        StringWriter err2 = new StringWriter();
        assertThat(run(new StringWriter(), err2, "shapes", "--style", "plain", "--split", "test", "--out",
                dir.resolve("y").toString())).isEqualTo(1);
        assertThat(err2.toString()).contains("--split: unsupported value 'test'");
    }
}
