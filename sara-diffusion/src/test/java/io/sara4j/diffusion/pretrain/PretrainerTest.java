package io.sara4j.diffusion.pretrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.core.peft.StepReport;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.pipeline.DiffusersFolder;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.training.TrainingListener;
import io.sara4j.diffusion.training.TrainingResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Pretrainer} on a tiny architecture for a few steps: output, determinism, exact resume. */
class PretrainerTest extends EngineTestBase {
    @TempDir
    Path dir;

    private static final BaseModelArchitecture TINY = new BaseModelArchitecture(16, List.of(8, 16), 1, 4, 8, 16, 1, 2);

    private static PretrainSettings tiny(int checkpointEvery) {
        return new PretrainSettings(TINY, List.of(Style.PLAIN, Style.OUTLINE), 8, 0.25, 5, 2, 1e-3, 1, 11,
                checkpointEvery, 1);
    }

    private Map<String, float[]> weights(Path model) throws Exception {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (var scope = manager.newSubManager()) {
            StableDiffusionPipeline p = StableDiffusionPipeline.load(DiffusersFolder.open(model, null), scope,
                    DataType.FLOAT32);
            p.unet().stateDict().forEach((k, v) -> out.put("unet." + k, v.toFloatArray()));
            p.textEncoder().stateDict().forEach((k, v) -> out.put("text." + k, v.toFloatArray()));
        }
        return out;
    }

    @Test
    void writesALoadableFolderWithItsRecordAndTheSameSeedGivesTheSameWeights() throws Exception {
        Path a = dir.resolve("a");
        TrainingResult r = new Pretrainer(tiny(0)).run(a, Map.of("command", "test"), TrainingListener.silent());
        assertThat(r.steps()).isEqualTo(5);
        assertThat(Files.exists(Pretrainer.runFolder(a))).as("run folder removed").isFalse();
        for (String f : List.of("model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
                "text_encoder/config.json", "text_encoder/model.safetensors", "tokenizer/vocab.json",
                "tokenizer/merges.txt", "tokenizer/tokenizer_config.json", "tokenizer/special_tokens_map.json",
                "scheduler/scheduler_config.json", "training.json", "losses.csv")) {
            assertThat(a.resolve(f)).as(f).isRegularFile();
        }
        JsonNode record = new ObjectMapper().readTree(a.resolve("training.json").toFile());
        assertThat(record.get("command").asText()).isEqualTo("test");
        assertThat(record.get("settings").get("styles").toString()).isEqualTo("[\"plain\",\"outline\"]");
        assertThat(record.get("losses").get("steps").asInt()).isEqualTo(5);
        assertThat(Files.readAllLines(a.resolve("losses.csv"))).hasSize(6);

        StableDiffusionPipeline p = StableDiffusionPipeline.load(DiffusersFolder.open(a, null), manager, DataType.FLOAT32);
        assertThat(p.vae()).isNull();
        assertThat(p.unet().config().inChannels()).isEqualTo(3);
        assertThat(p.defaultImageSize()).isEqualTo(16);

        Path b = dir.resolve("b");
        new Pretrainer(tiny(0)).run(b, Map.of(), TrainingListener.silent());
        Map<String, float[]> wa = weights(a);
        Map<String, float[]> wb = weights(b);
        assertThat(wb.keySet()).isEqualTo(wa.keySet());
        wa.forEach((k, v) -> assertThat(wb.get(k)).as(k).containsExactly(v));

        assertThatThrownBy(() -> new Pretrainer(tiny(0)).run(a, Map.of(), TrainingListener.silent()))
                .hasMessageContaining("already exists");
    }

    private static final class Killed extends RuntimeException {}

    @Test
    void aKilledRunResumesToTheSameModelAsAnUninterruptedOne() throws Exception {
        Path whole = dir.resolve("whole");
        new Pretrainer(tiny(2)).run(whole, Map.of(), TrainingListener.silent());

        Path resumed = dir.resolve("resumed");
        TrainingListener killAt2 = new TrainingListener() {
            @Override
            public void onStep(StepReport report, long total, double pace) {}

            @Override
            public void onCheckpoint(long step, Path folder) {
                if (step == 2) {
                    throw new Killed();
                }
            }
        };
        assertThatThrownBy(() -> new Pretrainer(tiny(2)).run(resumed, Map.of(), killAt2)).isInstanceOf(Killed.class);
        assertThat(resumed).doesNotExist();
        assertThat(Pretrainer.runFolder(resumed).resolve("checkpoint")).isDirectory();

        TrainingResult r = new Pretrainer(tiny(2)).run(resumed, Map.of(), TrainingListener.silent());
        assertThat(r.resumedFrom()).isEqualTo(2);
        Map<String, float[]> a = weights(whole);
        Map<String, float[]> b = weights(resumed);
        a.forEach((k, v) -> assertThat(b.get(k)).as(k).containsExactly(v));
        assertThat(Files.readAllLines(resumed.resolve("losses.csv")).stream().map(PretrainerTest::withoutTiming))
                .containsExactlyElementsOf(Files.readAllLines(whole.resolve("losses.csv")).stream()
                        .map(PretrainerTest::withoutTiming).toList());
    }

    /** A losses.csv row without its wall-clock column. */
    private static String withoutTiming(String row) {
        return row.substring(0, row.lastIndexOf(','));
    }
}
