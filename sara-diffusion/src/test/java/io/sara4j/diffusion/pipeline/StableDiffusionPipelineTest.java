package io.sara4j.diffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.TinyPipelines;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end on tiny random components: prompt → tokens → text states → sampling loop → decode → PNG. */
class StableDiffusionPipelineTest extends EngineTestBase {
    private StableDiffusionPipeline tinyPipeline(boolean latent) throws IOException {
        return TinyPipelines.build(manager, latent);
    }

    private static GenerationRequest request(long seed, Sampler sampler) {
        return new GenerationRequest("a red circle", "", 2, 4, 5.0, seed, 8, 8, sampler);
    }

    @Test
    void sampleRunsEndToEndWritesAPngAndIsReproducibleBitForBit(@TempDir Path dir) throws IOException {
        StableDiffusionPipeline pipeline = tinyPipeline(true);
        List<BufferedImage> first = pipeline.generateImages(manager, request(42, Sampler.DDIM));
        List<BufferedImage> again = pipeline.generateImages(manager, request(42, Sampler.DDIM));
        List<BufferedImage> other = pipeline.generateImages(manager, request(43, Sampler.DDIM));
        assertThat(first).hasSize(2);
        assertThat(first.get(0).getWidth()).isEqualTo(8);
        assertThat(pixels(first.get(0))).containsExactly(pixels(again.get(0)));
        assertThat(pixels(first.get(1))).containsExactly(pixels(again.get(1)));
        assertThat(pixels(first.get(0))).isNotEqualTo(pixels(other.get(0)));

        Path png = dir.resolve("sample.png");
        Images.writePng(first.get(0), png);
        assertThat(pixels(Images.read(png))).containsExactly(pixels(first.get(0)));

        NDArray raw = pipeline.generate(manager, request(42, Sampler.DDIM));
        NDArray rawAgain = pipeline.generate(manager, request(42, Sampler.DDIM));
        assertThat(raw.getShape()).isEqualTo(new Shape(2, 3, 8, 8));
        assertThat(raw.toFloatArray()).containsExactly(rawAgain.toFloatArray());
    }

    @Test
    void everySamplerRunsAndPixelSpaceModelsSampleWithoutAVae() throws IOException {
        StableDiffusionPipeline latent = tinyPipeline(true);
        for (Sampler sampler : Sampler.values()) {
            NDArray images = latent.generate(manager, request(7, sampler));
            assertThat(images.getShape()).isEqualTo(new Shape(2, 3, 8, 8));
            assertThat(images.isNaN().any().getBoolean()).isFalse();
        }
        StableDiffusionPipeline pixel = tinyPipeline(false);
        assertThat(pixel.downscaleFactor()).isEqualTo(1);
        assertThat(pixel.generate(manager, request(7, Sampler.EULER)).getShape()).isEqualTo(new Shape(2, 3, 8, 8));
    }

    @Test
    void guidanceCombinesUnconditionalAndConditionalPredictions() throws IOException {
        // with one step of DDIM the output is a fixed affine map of the guided prediction, so
        // guidance w gives ε_u + w·(ε_c − ε_u): three runs (w = 0 unguided-by-negative, 1, 3) must be collinear
        StableDiffusionPipeline pipeline = tinyPipeline(false);
        float[] w1 = pipeline.generate(manager, new GenerationRequest("a red circle", "a blue square", 1, 1, 1.0, 5, 8, 8, Sampler.DDIM)).toFloatArray();
        float[] w2 = pipeline.generate(manager, new GenerationRequest("a red circle", "a blue square", 1, 1, 2.0, 5, 8, 8, Sampler.DDIM)).toFloatArray();
        float[] w3 = pipeline.generate(manager, new GenerationRequest("a red circle", "a blue square", 1, 1, 3.0, 5, 8, 8, Sampler.DDIM)).toFloatArray();
        // the map from w to output is affine: out(3) − out(2) = out(2) − out(1)
        for (int i = 0; i < w1.length; i++) {
            assertThat((double) (w3[i] - w2[i])).isCloseTo(w2[i] - w1[i], org.assertj.core.api.Assertions.within(1e-4));
        }
        assertThat(w2).isNotEqualTo(w1);
    }

    @Test
    void mismatchedComponentsAreRefusedByName() throws IOException {
        StableDiffusionPipeline ok = tinyPipeline(true);
        assertThatThrownBy(() -> new StableDiffusionPipeline(ok.unet(), null, ok.textEncoder(), ok.tokenizer(), ok.schedulerConfig()))
                .hasMessageContaining("in_channels 4").hasMessageContaining("RGB pixels (3)");
        assertThatThrownBy(() -> ok.generate(manager, new GenerationRequest("x", "", 1, 2, 1, 0, 7, 8, Sampler.DDIM)))
                .hasMessageContaining("multiples of 2");
    }

    @Test
    void savedFolderLoadsIntoTheSamePipelineAndRefusesToOverwrite(@TempDir Path dir) throws IOException {
        for (boolean latent : new boolean[] {true, false}) {
            StableDiffusionPipeline built = tinyPipeline(latent);
            Path root = dir.resolve(latent ? "latent" : "pixel");
            built.save(root);
            try (var files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("partial"));
            }
            DiffusersFolder folder = DiffusersFolder.open(root);
            assertThat(folder.hasVae()).isEqualTo(latent);
            StableDiffusionPipeline loaded = StableDiffusionPipeline.load(folder, manager, DataType.FLOAT32);
            float[] expected = built.generate(manager, request(11, Sampler.EULER)).toFloatArray();
            assertThat(loaded.generate(manager, request(11, Sampler.EULER)).toFloatArray()).containsExactly(expected);
            assertThatThrownBy(() -> built.save(root)).hasMessageContaining("already exists");
        }
    }

    @Test
    void encodeImagesScalesVaeLatents() throws IOException {
        StableDiffusionPipeline pipeline = tinyPipeline(true);
        NDArray images = manager.randomUniform(-1, 1, new Shape(1, 3, 8, 8));
        NDArray latents = pipeline.encodeImages(images, new SeededNoise(3));
        SeededNoise replay = new SeededNoise(3);
        var posterior = pipeline.vae().encode(images);
        NDArray expected = posterior.sample(replay.normal(manager, posterior.mean().getShape())).mul(0.18215f);
        assertThat(latents.getShape()).isEqualTo(new Shape(1, 4, 4, 4));
        assertThat(latents.toFloatArray()).containsExactly(expected.toFloatArray());
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }
}
