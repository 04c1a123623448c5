package io.sara4j.diffusion.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sara4j.core.nn.Engines;
import io.sara4j.diffusion.data.shapes.HeldOutSplit;
import io.sara4j.diffusion.data.shapes.ShapesSpec;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.pipeline.Sampler;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.TinyPipelines;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Plumbing on a tiny random pipeline and classifier: the values mean nothing, their determinism does. */
class EvaluatorTest extends EngineTestBase {
    @Test
    void scoresHeldOutPromptsDeterministically() throws Exception {
        StableDiffusionPipeline pipeline = TinyPipelines.build(manager, true); // 8 × 8 images
        Engines.pytorch().setRandomSeed(9);
        ShapesClassifier classifier = new ShapesClassifier(manager, ShapesClassifierTest.TINY);
        Evaluator.Settings settings = new Evaluator.Settings(5, 2, 3.0, Sampler.DDIM, 4);
        Evaluator evaluator = new Evaluator(classifier, settings);

        List<ShapesSpec> prompts = evaluator.prompts(Style.STRIPES);
        assertThat(prompts).hasSize(5).allSatisfy(s -> {
            assertThat(HeldOutSplit.DEFAULT.isHeldOut(s.shape(), s.colour())).isTrue();
            assertThat(s.style()).isEqualTo(Style.STRIPES);
        });
        List<BufferedImage> real = evaluator.realImages(Style.STRIPES, 8);
        assertThat(real).hasSize(5).allSatisfy(i -> assertThat(i.getWidth()).isEqualTo(8));

        StyleScores a = evaluator.evaluate(manager, pipeline, Style.STRIPES, Evaluator.stylePrefix(Style.STRIPES));
        StyleScores b = evaluator.evaluate(manager, pipeline, Style.STRIPES, "stripes style, ");
        assertThat(b).isEqualTo(a);
        assertThat(a.promptPrefix()).isEqualTo("stripes style, ");
        assertThat(a.fidelity().count()).isEqualTo(5);
        assertThat(a.fidelity().frechetDistance()).isFinite().isGreaterThanOrEqualTo(0);
        assertThat(a.accuracy().accuracy()).isBetween(0.0, 1.0);

        StyleScores otherSeed = new Evaluator(classifier, new Evaluator.Settings(5, 2, 3.0, Sampler.DDIM, 5))
                .evaluate(manager, pipeline, Style.STRIPES, "stripes style, ");
        assertThat(otherSeed.fidelity().frechetDistance()).isNotEqualTo(a.fidelity().frechetDistance());
    }

    @Test
    void imagesOfOnePromptAreGeneratedTogetherAndKeepTheirSlots() throws Exception {
        StableDiffusionPipeline pipeline = TinyPipelines.build(manager, true);
        Evaluator evaluator = new Evaluator(new ShapesClassifier(manager, ShapesClassifierTest.TINY),
                new Evaluator.Settings(3, 1, 1.0, Sampler.DDIM, 0));
        ShapesSpec x = ShapesClassifierTest.spec(Style.DOTS, 0);
        ShapesSpec y = ShapesClassifierTest.spec(Style.DOTS, 1);
        List<BufferedImage> images = evaluator.generate(manager, pipeline, List.of(x, y, x), "dots style, ");
        assertThat(images).hasSize(3);
        // the two images of x come from one call of two images: different noise, so different pixels
        assertThat(images.get(0).getRGB(0, 0, 8, 8, null, 0, 8)).isNotEqualTo(images.get(2).getRGB(0, 0, 8, 8, null, 0, 8));
    }

    @Test
    void settingsAreValidated() {
        assertThatThrownBy(() -> new Evaluator.Settings(1, 2, 3, Sampler.DDIM, 0)).hasMessageContaining("samples must be >= 2");
        assertThatThrownBy(() -> new Evaluator.Settings(4, 0, 3, Sampler.DDIM, 0)).hasMessageContaining("steps");
    }
}
