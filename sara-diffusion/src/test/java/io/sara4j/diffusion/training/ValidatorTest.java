package io.sara4j.diffusion.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import io.sara4j.diffusion.data.ImageCaptionDataset;
import io.sara4j.diffusion.pipeline.Images;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.TinyPipelines;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidatorTest extends EngineTestBase {
    private static final List<String> PROMPTS = List.of("a red circle", "stripes style, a blue square on a long prompt"
            + " that has to be wrapped and cut because it does not fit above one tile");

    @TempDir
    Path dir;
    private ImageCaptionDataset heldOut;
    private ValidationSettings settings;

    @BeforeEach
    void data() throws IOException {
        heldOut = ValidationFixtures.shapes(dir.resolve("data"), 2);
        settings = ValidationSettings.defaults().withPrompts(PROMPTS).withSampleEvery(5).withSampling(2, 3.0, 0)
                .withLoss(2, 2);
    }

    /** The pixels of a {@code w}×{@code h} region at (x, y). */
    private static int[] region(BufferedImage image, int x, int y, int w, int h) {
        return image.getRGB(x, y, w, h, null, 0, w);
    }

    @Test
    void gridsHaveTheBaseRowOnTopUnchangedAndTheStepRowBelow() throws IOException {
        StableDiffusionPipeline pipeline = TinyPipelines.build(manager, true);
        Path run = dir.resolve("run");
        Validator validator = Validator.start(pipeline, settings, heldOut, run);
        int tile = SampleGrid.tileSize(pipeline.defaultImageSize()); // 8-pixel samples drawn at 128
        assertThat(tile).isEqualTo(128);
        BufferedImage base = Images.read(validator.gridFile(0));
        assertThat(base.getWidth()).isEqualTo(SampleGrid.LEFT + 2 * tile);
        assertThat(base.getHeight()).isEqualTo(SampleGrid.HEADER + tile);
        assertThat(run.resolve("samples/step-000000.png")).exists();

        assertThat(validator.due(0)).isFalse();
        assertThat(validator.due(4)).isFalse();
        assertThat(validator.due(5)).isTrue();
        ValidationFixtures.nudge(pipeline, 0.05f);
        double loss5 = validator.run(5);
        ValidationFixtures.nudge(pipeline, 0.05f);
        validator.run(10);
        BufferedImage grid5 = Images.read(run.resolve("samples/step-000005.png"));
        BufferedImage grid10 = Images.read(run.resolve("samples/step-000010.png"));
        assertThat(grid10.getWidth()).isEqualTo(SampleGrid.LEFT + 2 * tile);
        assertThat(grid10.getHeight()).isEqualTo(SampleGrid.HEADER + 2 * tile);
        int w = 2 * tile;
        int[] baseTiles = region(base, SampleGrid.LEFT, SampleGrid.HEADER, w, tile);
        assertThat(region(grid5, SampleGrid.LEFT, SampleGrid.HEADER, w, tile)).isEqualTo(baseTiles);
        assertThat(region(grid10, SampleGrid.LEFT, SampleGrid.HEADER, w, tile)).isEqualTo(baseTiles);
        assertThat(region(grid10, SampleGrid.LEFT, SampleGrid.HEADER + tile, w, tile)).as("the trained row")
                .isNotEqualTo(baseTiles)
                .isNotEqualTo(region(grid5, SampleGrid.LEFT, SampleGrid.HEADER + tile, w, tile));
        // the labels are drawn: the margins are not blank
        assertThat(region(grid10, 0, SampleGrid.HEADER, SampleGrid.LEFT, 2 * tile)).containsAnyOf(0xff000000);
        assertThat(region(grid10, SampleGrid.LEFT, 0, w, SampleGrid.HEADER)).containsAnyOf(0xff000000);

        assertThat(validator.losses()).containsOnlyKeys(0L, 5L, 10L).containsEntry(5L, loss5);
        assertThat(Files.readAllLines(run.resolve(Validator.CSV))).hasSize(4).startsWith("step,loss")
                .element(2).isEqualTo("5," + loss5);
        BufferedImage curve = Images.read(run.resolve(Validator.CURVE));
        assertThat(curve.getWidth()).isPositive();
        assertThat(pipeline.unet().isTraining()).isFalse();
    }

    @Test
    void theSameSeedGivesTheSameGridAndAResumedRunReplacesLaterRows() throws IOException {
        StableDiffusionPipeline pipeline = TinyPipelines.build(manager, true);
        Validator a = Validator.start(pipeline, settings, heldOut, dir.resolve("a"));
        Validator b = Validator.start(pipeline, settings, heldOut, dir.resolve("b"));
        BufferedImage ga = Images.read(a.gridFile(0));
        BufferedImage gb = Images.read(b.gridFile(0));
        assertThat(region(ga, 0, 0, ga.getWidth(), ga.getHeight())).isEqualTo(region(gb, 0, 0, gb.getWidth(), gb.getHeight()));
        assertThat(a.losses()).isEqualTo(b.losses());
        BufferedImage other = Images.read(Validator.start(pipeline, settings.withSeed(1), null, dir.resolve("c")).gridFile(0));
        assertThat(region(other, 0, 0, ga.getWidth(), ga.getHeight())).isNotEqualTo(region(ga, 0, 0, ga.getWidth(), ga.getHeight()));
        assertThat(dir.resolve("c/" + Validator.CSV)).doesNotExist();

        a.run(5);
        a.run(10);
        pipeline.unet().setTraining(true); // as inside the loop: restored afterwards
        Validator resumed = Validator.start(pipeline, settings, heldOut, dir.resolve("a"));
        assertThat(resumed.losses()).containsOnlyKeys(0L, 5L, 10L);
        resumed.run(5);
        assertThat(resumed.losses()).containsOnlyKeys(0L, 5L);
        assertThat(pipeline.unet().isTraining()).isTrue();
    }

    @Test
    void theWeightsWrapperSurroundsSamplingAndLoss() throws IOException {
        StableDiffusionPipeline pipeline = TinyPipelines.build(manager, true);
        double plain = Validator.start(pipeline, settings, heldOut, dir.resolve("plain")).losses().get(0L);
        // a wrapper that swaps other values in for the duration, as an EMA would
        NDArray weight = pipeline.unet().stateDict().get("conv_out.weight");
        Validator.Weights swapped = body -> {
            float[] trained = weight.toFloatArray();
            ValidationFixtures.nudge(pipeline, 0.05f);
            try {
                body.run();
            } finally {
                weight.set(trained);
            }
        };
        Validator wrapped = Validator.start(pipeline, settings, heldOut, dir.resolve("wrapped"), swapped);
        assertThat(wrapped.losses().get(0L)).isNotEqualTo(plain);
        assertThat(Validator.start(pipeline, settings, heldOut, dir.resolve("again")).losses().get(0L)).isEqualTo(plain);
    }
}
