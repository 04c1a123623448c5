package io.sara4j.diffusion.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.HostArrays;
import io.sara4j.diffusion.data.ImageCaptionDataset;
import io.sara4j.diffusion.pipeline.SeededNoise;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.scheduler.NoiseSchedule;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.TinyPipelines;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidationLossTest extends EngineTestBase {
    @TempDir
    Path dir;

    @Test
    void timestepsAreTheMidpointsOfEqualParts() {
        assertThat(ValidationLoss.fixedTimesteps(4, 1000)).containsExactly(125, 375, 625, 875);
        assertThat(ValidationLoss.fixedTimesteps(1, 1000)).containsExactly(500);
        assertThat(ValidationLoss.fixedTimesteps(3, 3)).containsExactly(0, 1, 2);
    }

    @Test
    void theSameWeightsGiveTheSameLossAndAChangedWeightAnother() throws IOException {
        StableDiffusionPipeline pipeline = TinyPipelines.build(manager, true);
        ImageCaptionDataset heldOut = ValidationFixtures.shapes(dir.resolve("data"), 3);
        ValidationLoss loss = new ValidationLoss(pipeline, heldOut, 4, 2, 11);
        double first = loss.evaluate(manager);
        double second = loss.evaluate(manager);
        assertThat(first).isPositive().isEqualTo(second);
        // the batch size only groups the work
        assertThat(new ValidationLoss(pipeline, heldOut, 4, 3, 11).evaluate(manager)).isCloseTo(first, within(1e-5 * first));
        ValidationFixtures.nudge(pipeline, 0.05f);
        assertThat(loss.evaluate(manager)).isNotCloseTo(first, within(1e-4 * first));
    }

    @Test
    void theLossIsTheMeanOfPerImageMsesAtTheFixedTimesteps() throws IOException {
        StableDiffusionPipeline pipeline = TinyPipelines.build(manager, false); // pixel space: x0 = the image
        ImageCaptionDataset heldOut = ValidationFixtures.shapes(dir.resolve("data"), 3);
        long seed = 5;
        NoiseSchedule schedule = NoiseSchedule.of(pipeline.schedulerConfig());
        ValidationLoss loss = new ValidationLoss(pipeline, heldOut, 2, 2, seed);
        assertThat(loss.timesteps()).containsExactly(250, 750);
        double expectedAt = handMean(pipeline, heldOut, seed, loss.timesteps(), schedule);
        assertThat(loss.evaluate(manager)).isCloseTo(expectedAt, within(1e-5 * expectedAt));
        double elsewhere = handMean(pipeline, heldOut, seed, new int[] {100, 600}, schedule);
        assertThat(elsewhere).isNotCloseTo(expectedAt, within(1e-4 * expectedAt)); // the timesteps matter
    }

    /** The mean over images and timesteps of mean((ε̂ − ε)²), with x_t formed in Java from the same noise. */
    private double handMean(StableDiffusionPipeline pipeline, ImageCaptionDataset heldOut, long seed, int[] timesteps,
            NoiseSchedule schedule) throws IOException {
        double sum = 0;
        for (int i = 0; i < heldOut.size(); i++) {
            try (NDManager m = manager.newSubManager()) {
                float[] x0 = heldOut.images(m, new int[] {i}, seed).toFloatArray();
                NDArray conditioning = pipeline.encodePrompts(m, heldOut.captions(new int[] {i}));
                SeededNoise noise = ValidationLoss.imageNoise(seed, i);
                for (int t : timesteps) {
                    float[] eps = noise.normal(m, new Shape(1, 3, 16, 16)).toFloatArray();
                    double a = Math.sqrt(schedule.alphaCumprod(t));
                    double b = Math.sqrt(1 - schedule.alphaCumprod(t));
                    float[] xt = new float[x0.length];
                    for (int j = 0; j < xt.length; j++) {
                        xt[j] = (float) (a * x0[j] + b * eps[j]);
                    }
                    float[] prediction = pipeline.unet().forward(HostArrays.of(m, xt, new Shape(1, 3, 16, 16)),
                            HostArrays.of(m, new long[] {t}), conditioning).toFloatArray();
                    double mse = 0;
                    for (int j = 0; j < eps.length; j++) {
                        double d = prediction[j] - eps[j];
                        mse += d * d;
                    }
                    sum += mse / eps.length;
                }
            }
        }
        return sum / (heldOut.size() * timesteps.length);
    }
}
