package io.sara4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.peft.Sara;
import io.sara4j.core.peft.SaraConfig;
import io.sara4j.diffusion.pipeline.DiffusersFolder;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MergeCommandTest {
    @TempDir
    Path dir;

    /** Two SaRA steps on the tiny UNet (which keeps the trained weights), saved to {@code adapter}. */
    static void trainAdapter(UNet2DConditionModel unet, NDManager m, Path adapter) throws java.io.IOException {
        Engine engine = Engines.pytorch();
        NDArray x = m.randomNormal(new Shape(1, 4, 4, 4));
        NDArray t = m.create(new float[] {10f});
        NDArray ctx = m.randomNormal(new Shape(1, 3, 16));
        try (Sara sara = Sara.attach(unet, SaraConfig.builder().setThreshold(5e-2).optLearningRate(1e-2).build())) {
            for (int i = 0; i < 2; i++) {
                try (GradientCollector gc = engine.newGradientCollector()) {
                    sara.step(unet.forward(x, t, ctx).square().mean());
                }
            }
            sara.save(adapter);
        }
    }

    @Test
    void mergedFolderHoldsBasePlusScaledDeltaAndEverythingElseUnchanged() throws Exception {
        Path model = TinyModelFolder.write(dir.resolve("model"), 4);
        Path adapter = dir.resolve("adapter.safetensors");
        Engine engine = Engines.pytorch();
        Map<String, float[]> base = new java.util.HashMap<>();
        Map<String, float[]> tuned = new java.util.HashMap<>();
        try (NDManager m = engine.newBaseManager()) {
            UNet2DConditionModel unet = DiffusersFolder.open(model).loadUnet(m, DataType.FLOAT32);
            unet.stateDict().forEach((k, v) -> base.put(k, v.toFloatArray()));
            trainAdapter(unet, m, adapter);
            unet.stateDict().forEach((k, v) -> tuned.put(k, v.toFloatArray()));
        }
        Path out = dir.resolve("merged");
        StringWriter err = new StringWriter();
        CommandLine cli = SaraMain.commandLine();
        cli.setErr(new PrintWriter(err));
        int code = cli.execute("merge", "--model", model.toString(), "--adapter", adapter.toString(), "--scale", "0.5",
                "--out", out.toString());
        assertThat(code).as(err.toString()).isZero();

        try (NDManager m = engine.newBaseManager()) {
            DiffusersFolder merged = DiffusersFolder.open(out);
            UNet2DConditionModel unet = merged.loadUnet(m, DataType.FLOAT32);
            int changed = 0;
            for (Map.Entry<String, NDArray> e : unet.stateDict().entrySet()) {
                float[] b = base.get(e.getKey());
                float[] tu = tuned.get(e.getKey());
                float[] got = e.getValue().toFloatArray();
                for (int i = 0; i < got.length; i++) {
                    double want = b[i] + 0.5 * ((double) tu[i] - b[i]);
                    assertThat((double) got[i]).as("%s[%d]", e.getKey(), i).isCloseTo(want, org.assertj.core.api.Assertions.within(1e-6));
                    changed += b[i] != tu[i] ? 1 : 0;
                }
            }
            assertThat(changed).isPositive();
            assertThat(Files.readAllBytes(out.resolve("text_encoder/model.safetensors")))
                    .isEqualTo(Files.readAllBytes(model.resolve("text_encoder/model.safetensors")));
            assertThat(merged.loadTokenizer().encodePadded("a red")).containsExactly(
                    DiffusersFolder.open(model).loadTokenizer().encodePadded("a red"));
        }
        // a second merge into the same folder is refused and leaves it as it was
        int again = SaraMain.commandLine().execute("merge", "--model", model.toString(), "--adapter", adapter.toString(),
                "--out", out.toString());
        assertThat(again).isEqualTo(1);
    }
}
