package io.sara4j.diffusion.pretrain;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.types.DataType;
import io.sara4j.diffusion.data.shapes.ShapesSpec;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.eval.Evaluator;
import io.sara4j.diffusion.eval.PromptAccuracy;
import io.sara4j.diffusion.eval.ShapesClassifier;
import io.sara4j.diffusion.pipeline.DiffusersFolder;
import io.sara4j.diffusion.pipeline.Sampler;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.text.ClipTokenizer;
import io.sara4j.diffusion.unet.UNet2DConditionConfig;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The shipped {@code models/shapes-base}: loadable, as documented, small, and it draws what it is asked for. */
class BundledBaseModelTest extends EngineTestBase {
    @Test
    void loadsWithTheDocumentedArchitectureAndSize() throws Exception {
        Path folder = Pretrainer.bundledFolder();
        StableDiffusionPipeline p = StableDiffusionPipeline.load(DiffusersFolder.open(folder), manager, DataType.FLOAT32);
        assertThat(p.vae()).as("pixel space").isNull();
        UNet2DConditionConfig c = p.unet().config();
        assertThat(c.inChannels()).isEqualTo(3);
        assertThat(c.outChannels()).isEqualTo(3);
        assertThat(p.defaultImageSize()).isEqualTo(32);
        assertThat(c.blockOutChannels()).isEqualTo(BaseModelArchitecture.SHAPES_BASE.blockOutChannels());
        assertThat(c.downBlockTypes()).containsExactly(UNet2DConditionConfig.DOWN_BLOCK,
                UNet2DConditionConfig.CROSS_ATTN_DOWN_BLOCK, UNet2DConditionConfig.CROSS_ATTN_DOWN_BLOCK);
        assertThat(c.upBlockTypes()).containsExactly(UNet2DConditionConfig.CROSS_ATTN_UP_BLOCK,
                UNet2DConditionConfig.CROSS_ATTN_UP_BLOCK, UNet2DConditionConfig.UP_BLOCK);
        assertThat(p.textEncoder().config().hiddenSize()).isEqualTo(BaseModelArchitecture.SHAPES_BASE.textWidth());
        long bytes;
        try (Stream<Path> files = Files.walk(folder)) {
            bytes = files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
        assertThat(bytes).as("bytes on disk").isLessThanOrEqualTo(30L << 20);
    }

    @Test
    void theTokenizerKnowsEveryWordOfTheBenchmarkAsOneToken() throws Exception {
        ClipTokenizer tokenizer = ClipTokenizer.load(Pretrainer.bundledFolder().resolve(DiffusersFolder.TOKENIZER));
        for (String text : Pretrainer.corpus()) {
            for (String word : text.replace(",", " ,").trim().split("\\s+")) {
                List<String> tokens = tokenizer.tokenize(word);
                assertThat(tokens).as(word).containsExactly(word + "</w>");
                assertThat(tokenizer.tokenId(tokens.get(0))).as(word).isNotEqualTo(tokenizer.unkId());
            }
        }
    }

    /**
     * What the model learned, on a small sample: 16 held-out plain prompts, 20 DDIM steps, guidance 2
     * (the model's recommended scale); the classifier must read both the prompted shape and the
     * prompted colour in most of them. Chance is 1/48; the model's README.md measures 0.92 on 48 such
     * prompts, so 0.6 leaves room for the sampling noise of 16 images.
     */
    @Test
    void samplesShowThePromptedShapeAndColour() throws Exception {
        StableDiffusionPipeline p = StableDiffusionPipeline.load(DiffusersFolder.open(Pretrainer.bundledFolder()),
                manager, DataType.FLOAT32);
        ShapesClassifier classifier = ShapesClassifier.load(ShapesClassifier.bundledFolder(), manager);
        Evaluator evaluator = new Evaluator(classifier, new Evaluator.Settings(16, 20, 2.0, Sampler.DDIM, 5));
        List<ShapesSpec> prompts = evaluator.prompts(Style.PLAIN);
        List<BufferedImage> images = evaluator.generate(manager, p, prompts, Evaluator.stylePrefix(Style.PLAIN));
        PromptAccuracy a = PromptAccuracy.measure(classifier.classify(manager, images), prompts);
        assertThat(a.accuracy()).as("shape and colour as prompted").isGreaterThanOrEqualTo(0.6);
    }
}
