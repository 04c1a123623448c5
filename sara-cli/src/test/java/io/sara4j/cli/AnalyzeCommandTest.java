package io.sara4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.Parameter;
import io.sara4j.diffusion.pipeline.DiffusersFolder;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AnalyzeCommandTest {
    @TempDir
    Path dir;

    @Test
    void printsTheCountBelowEachThresholdAndThePruningStudy() throws Exception {
        Path model = TinyModelFolder.write(dir.resolve("model"), 5);
        long below = 0;
        long total = 0;
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            UNet2DConditionModel unet = DiffusersFolder.open(model).loadUnet(m, DataType.FLOAT32);
            for (Parameter p : unet.namedParameters().values()) {
                for (float v : p.data().toFloatArray()) {
                    below += Math.abs(v) < 0.01f ? 1 : 0;
                    total++;
                }
            }
        }
        StringWriter out = new StringWriter();
        CommandLine cli = SaraMain.commandLine();
        cli.setOut(new PrintWriter(out));
        int code = cli.execute("analyze", "--model", model.toString(), "--thresholds", "1e-2,1e-3", "--probe", "2");
        assertThat(code).isZero();
        String text = out.toString();
        assertThat(text).contains(String.format(Locale.ROOT, "%,d values", total));
        assertThat(text).containsPattern("0\\.0100\\s+" + String.format(Locale.ROOT, "%,d", below).replace(",", "\\,") + "\\s");
        assertThat(text).contains("output change if zeroed", "|w| by decade", "conv", "linear", "norm/bias");
    }
}
