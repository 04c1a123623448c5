package io.sara4j.diffusion.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.core.peft.FineTuner;
import io.sara4j.core.peft.Sara;
import io.sara4j.core.peft.SaraConfig;
import io.sara4j.core.peft.StepReport;
import io.sara4j.diffusion.data.DatasetOptions;
import io.sara4j.diffusion.data.ImageCaptionDataset;
import io.sara4j.diffusion.data.shapes.ShapesDataset;
import io.sara4j.diffusion.data.shapes.ShapesOptions;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.TinyPipelines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrainerTest extends EngineTestBase {
    @TempDir
    Path dir;
    private ImageCaptionDataset data;

    @BeforeEach
    void generateData() throws IOException {
        Path folder = dir.resolve("stripes");
        ShapesDataset.generate(folder, List.of(Style.STRIPES), 6, 1,
                ShapesOptions.builder().optImageSize(16).build());
        data = ImageCaptionDataset.open(folder,
                DatasetOptions.builder().setResolution(16).optCaptionPrefix("stripes style, ").build());
    }

    private static SaraConfig sara(int steps) {
        return SaraConfig.builder().setThreshold(0.1).optLearningRate(1e-2).optTotalSteps(steps)
                .optRankMinDim(4).build();
    }

    private static Map<String, float[]> weights(StableDiffusionPipeline p) {
        Map<String, float[]> out = new LinkedHashMap<>();
        p.unet().stateDict().forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    @Test
    void runWritesAdapterAndOneLossRowPerStep() throws IOException {
        StableDiffusionPipeline pipeline = TinyPipelines.build(manager, true);
        List<StepReport> seen = new ArrayList<>();
        TrainingResult result;
        try (FineTuner tuner = Sara.attach(pipeline.unet(), sara(5))) {
            result = new Trainer(pipeline, tuner, data, new TrainingConfig(5, 2, 7, 0, 2))
                    .run(dir.resolve("run"), (report, total, pace) -> seen.add(report));
        }
        assertThat(seen).extracting(StepReport::step).containsExactly(2L, 4L, 5L);
        assertThat(result.adapter()).exists();
        assertThat(result.resumedFrom()).isZero();
        assertThat(result.lastLoss()).isEqualTo(seen.get(2).loss());
        List<String> rows = Files.readAllLines(dir.resolve("run/losses.csv"));
        assertThat(rows).hasSize(6);
        assertThat(rows.get(0)).isEqualTo(StepLogs.CSV_HEADER);
        assertThat(rows.get(5)).startsWith("5,");
        assertThat(pipeline.unet().isTraining()).isFalse();
    }

    @Test
    void theSameSeedGivesTheSameRunEveryTime() throws IOException {
        // Guards against reading freed memory: arrays made from Java data once aliased a buffer the
        // engine did not own, which gave a different garbage gradient in some runs (see HostArrays).
        List<List<String>> runs = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            try (var scope = manager.newSubManager()) {
                StableDiffusionPipeline p = TinyPipelines.build(scope, true);
                SaraConfig config = SaraConfig.builder().setThreshold(0.1).optLearningRate(1e-2).optTotalSteps(6)
                        .optProgressiveIter(0).optRankLambda(0).build();
                try (FineTuner tuner = Sara.attach(p.unet(), config)) {
                    new Trainer(p, tuner, data, new TrainingConfig(6, 2, 3, 0, 1)).run(dir.resolve("r" + r), TrainingListener.silent());
                }
            }
            runs.add(lossColumns(dir.resolve("r" + r + "/losses.csv")));
        }
        assertThat(runs).allSatisfy(run -> assertThat(run).containsExactlyElementsOf(runs.get(0)));
    }

    /** Thrown by a listener to stop a run right after a checkpoint, as a kill would. */
    private static final class Killed extends RuntimeException {}

    @Test
    void aKilledRunResumesToTheSameWeightsAsAnUninterruptedOne() throws IOException {
        TrainingConfig config = new TrainingConfig(6, 2, 3, 2, 1).withEmaDecay(0.9);
        Map<String, float[]> uninterrupted;
        List<String> uninterruptedRows;
        try (var scope = manager.newSubManager()) {
            StableDiffusionPipeline p = TinyPipelines.build(scope, true);
            try (FineTuner tuner = Sara.attach(p.unet(), sara(6))) {
                new Trainer(p, tuner, data, config).run(dir.resolve("a"), TrainingListener.silent());
            }
            uninterrupted = weights(p);
            uninterruptedRows = lossColumns(dir.resolve("a/losses.csv"));
        }

        Path run = dir.resolve("b");
        try (var scope = manager.newSubManager()) {
            StableDiffusionPipeline p = TinyPipelines.build(scope, true);
            try (FineTuner tuner = Sara.attach(p.unet(), sara(6))) {
                TrainingListener killAt4 = new TrainingListener() {
                    @Override
                    public void onStep(StepReport report, long total, double pace) {}

                    @Override
                    public void onCheckpoint(long step, Path folder) {
                        if (step == 4) {
                            throw new Killed();
                        }
                    }
                };
                assertThatThrownBy(() -> new Trainer(p, tuner, data, config).run(run, killAt4)).isInstanceOf(Killed.class);
            }
        }
        long[] resumedAt = {-1};
        try (var scope = manager.newSubManager()) {
            StableDiffusionPipeline p = TinyPipelines.build(scope, true); // a fresh base, as a new process has
            try (FineTuner tuner = Sara.attach(p.unet(), sara(6))) {
                TrainingResult r = new Trainer(p, tuner, data, config).run(run, new TrainingListener() {
                    @Override
                    public void onStep(StepReport report, long total, double pace) {}

                    @Override
                    public void onResume(long step) {
                        resumedAt[0] = step;
                    }
                });
                assertThat(r.resumedFrom()).isEqualTo(4);
            }
            assertThat(resumedAt[0]).isEqualTo(4);
            Map<String, float[]> resumed = weights(p);
            uninterrupted.forEach((k, v) -> assertThat(resumed.get(k)).as(k).containsExactly(v));
        }
        assertThat(lossColumns(run.resolve("losses.csv"))).containsExactlyElementsOf(uninterruptedRows);
        // the moving average continued across the kill: the same averaged adapter, byte for byte
        assertThat(Files.readAllBytes(run.resolve("adapter-ema.safetensors")))
                .isEqualTo(Files.readAllBytes(dir.resolve("a/adapter-ema.safetensors")));
        assertThat(Files.readAllBytes(run.resolve("adapter-ema.safetensors")))
                .isNotEqualTo(Files.readAllBytes(run.resolve("adapter.safetensors")));
        // one JSON row per step, the resumed steps replacing the lost ones
        List<String> jsonl = Files.readAllLines(run.resolve("steps.jsonl"));
        assertThat(jsonl).hasSize(6);
        for (int i = 0; i < jsonl.size(); i++) {
            JsonNode row = new ObjectMapper().readTree(jsonl.get(i));
            assertThat(row.get("step").asLong()).isEqualTo(i + 1);
            assertThat(row.get("loss").asText()).isEqualTo(new ObjectMapper().readTree(
                    Files.readAllLines(dir.resolve("a/steps.jsonl")).get(i)).get("loss").asText());
            assertThat(row.get("rss_mib").asDouble()).isPositive();
            assertThat(row.get("step_seconds").asDouble()).isPositive();
            assertThat(row.get("trainable").asLong()).isPositive();
        }
    }

    /**
     * The option reaches the UNet and changes nothing but memory: the first step (same weights in
     * both runs) has the same loss and gradient norm. Later steps are not compared bit for bit:
     * AdamW's early steps are ≈ lr·sign(g), so a gradient entry within float noise of zero may step
     * either way.
     */
    @Test
    void gradientCheckpointingGivesTheSameGradients() throws IOException {
        Map<Boolean, JsonNode> firstStep = new LinkedHashMap<>();
        for (boolean checkpointing : new boolean[] {false, true}) {
            try (var scope = manager.newSubManager()) {
                StableDiffusionPipeline p = TinyPipelines.build(scope, true);
                try (FineTuner tuner = Sara.attach(p.unet(), sara(2))) {
                    new Trainer(p, tuner, data, new TrainingConfig(2, 2, 5, 0, 1).withGradientCheckpointing(checkpointing))
                            .run(dir.resolve("gc-" + checkpointing), TrainingListener.silent());
                }
                assertThat(p.unet().isGradientCheckpointing()).isFalse();
            }
            firstStep.put(checkpointing, new ObjectMapper().readTree(
                    Files.readAllLines(dir.resolve("gc-" + checkpointing + "/steps.jsonl")).get(0)));
        }
        assertThat(firstStep.get(true).get("loss").asDouble()) // the unrecorded forward may round differently
                .isCloseTo(firstStep.get(false).get("loss").asDouble(), org.assertj.core.data.Percentage.withPercentage(1e-4));
        assertThat(firstStep.get(true).get("grad_norm").asDouble())
                .isCloseTo(firstStep.get(false).get("grad_norm").asDouble(), org.assertj.core.data.Percentage.withPercentage(1e-3));
    }

    /**
     * Accumulating the batch in two slices is the same step as the whole batch: the same examples,
     * noise and timesteps, so the loss and the gradient norm of every step agree up to float
     * summation order (the tuner-level equality of updates is in TrainingExtrasTest).
     */
    @Test
    void gradientAccumulationGivesTheSameStepsAsTheWholeBatch() throws IOException {
        Map<Integer, List<JsonNode>> rows = new LinkedHashMap<>();
        for (int k : new int[] {1, 2}) {
            try (var scope = manager.newSubManager()) {
                StableDiffusionPipeline p = TinyPipelines.build(scope, true);
                try (FineTuner tuner = Sara.attach(p.unet(), sara(2))) {
                    new Trainer(p, tuner, data, new TrainingConfig(2, 4, 5, 0, 1).withGradAccum(k))
                            .run(dir.resolve("acc-" + k), TrainingListener.silent());
                }
            }
            List<JsonNode> parsed = new ArrayList<>();
            for (String line : Files.readAllLines(dir.resolve("acc-" + k + "/steps.jsonl"))) {
                parsed.add(new ObjectMapper().readTree(line));
            }
            rows.put(k, parsed);
        }
        JsonNode whole = rows.get(1).get(0);
        JsonNode sliced = rows.get(2).get(0);
        assertThat(sliced.get("loss").asDouble())
                .isCloseTo(whole.get("loss").asDouble(), org.assertj.core.data.Percentage.withPercentage(1e-4));
        assertThat(sliced.get("grad_norm").asDouble())
                .isCloseTo(whole.get("grad_norm").asDouble(), org.assertj.core.data.Percentage.withPercentage(1e-3));
    }

    @Test
    void aCheckpointFromOtherSettingsIsRefusedNamingTheSetting() throws IOException {
        StableDiffusionPipeline pipeline = TinyPipelines.build(manager, true);
        try (FineTuner tuner = Sara.attach(pipeline.unet(), sara(2))) {
            new Trainer(pipeline, tuner, data, new TrainingConfig(2, 2, 3, 1, 1)).run(dir.resolve("c"), TrainingListener.silent());
        }
        StableDiffusionPipeline again = TinyPipelines.build(manager, true);
        try (FineTuner tuner = Sara.attach(again.unet(), sara(2))) {
            assertThatThrownBy(() -> new Trainer(again, tuner, data, new TrainingConfig(2, 3, 3, 1, 1))
                    .run(dir.resolve("c"), TrainingListener.silent()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch_size = 2").hasMessageContaining("has 3");
        }
    }

    /** The csv rows without the timing column, which differs between runs. */
    private static List<String> lossColumns(Path csv) throws IOException {
        List<String> out = new ArrayList<>();
        for (String row : Files.readAllLines(csv)) {
            out.add(row.substring(0, row.lastIndexOf(',')));
        }
        return out;
    }

}
