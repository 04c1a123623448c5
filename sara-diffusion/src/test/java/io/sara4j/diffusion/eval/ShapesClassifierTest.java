package io.sara4j.diffusion.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.GroupNorm;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.data.shapes.ShapesRenderer;
import io.sara4j.diffusion.data.shapes.ShapesSpec;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.pipeline.SeededNoise;
import io.sara4j.diffusion.testing.EngineTestBase;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShapesClassifierTest extends EngineTestBase {
    static final ShapesClassifierConfig TINY = new ShapesClassifierConfig(16, List.of(8, 16, 32), 4);

    @TempDir
    Path dir;

    @Test
    void forwardShapesOfTheShippedConfiguration() {
        Engines.pytorch().setRandomSeed(1);
        ShapesClassifier c = new ShapesClassifier(manager, ShapesClassifierConfig.DEFAULT);
        ShapesClassifier.Logits out = c.forward(new SeededNoise(2).normal(manager, new Shape(3, 3, 32, 32)));
        assertThat(out.features().getShape()).isEqualTo(new Shape(3, 128));
        assertThat(out.shape().getShape()).isEqualTo(new Shape(3, 6));
        assertThat(out.colour().getShape()).isEqualTo(new Shape(3, 8));
        assertThat(out.style().getShape()).isEqualTo(new Shape(3, 7));
        assertThat(c.namedParameters().keySet()).contains("convs.0.weight", "norms.3.bias", "shape_head.weight",
                "colour_head.bias", "style_head.weight");
        assertThat(c.parameterCount()).isLessThan(150_000); // 200 KB as float16
    }

    @Test
    void featuresAreTheSpatialMeanOfTheLastActivation() {
        Engines.pytorch().setRandomSeed(3);
        ShapesClassifier c = new ShapesClassifier(manager, TINY);
        NDArray x = new SeededNoise(4).normal(manager, new Shape(2, 3, 16, 16));
        // the last activation: every block is conv → group norm → SiLU
        NDArray h = x;
        for (int i = 0; i < 3; i++) {
            h = ((Conv2d) c.namedModules().get("convs." + i)).forward(h);
            h = ((GroupNorm) c.namedModules().get("norms." + i)).forward(h);
            h = Activations.silu(h);
        }
        assertThat(h.getShape()).isEqualTo(new Shape(2, 32, 4, 4));
        double[] a = Tensors.toDoubles(h);
        double[] expected = new double[2 * 32];
        for (int i = 0; i < expected.length; i++) {
            for (int p = 0; p < 16; p++) {
                expected[i] += a[i * 16 + p] / 16;
            }
        }
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(c.features(x)), expected)).isLessThan(1e-5);
    }

    @Test
    void wrongInputSizeIsNamed() {
        ShapesClassifier c = new ShapesClassifier(manager, TINY);
        assertThatThrownBy(() -> c.features(manager.zeros(new Shape(1, 3, 32, 32))))
                .hasMessageContaining("(N, 3, 16, 16)").hasMessageContaining("(1, 3, 32, 32)");
    }

    @Test
    void saveAndLoadRoundTripThroughFloat16() throws Exception {
        Engines.pytorch().setRandomSeed(5);
        ShapesClassifier c = new ShapesClassifier(manager, TINY);
        c.save(dir.resolve("clf"));
        assertThat(dir.resolve("clf/model.safetensors")).exists();
        assertThat(ShapesClassifierConfig.read(dir.resolve("clf/config.json"))).isEqualTo(TINY);
        ShapesClassifier back = ShapesClassifier.load(dir.resolve("clf"), manager);
        List<BufferedImage> images = List.of(render(Style.DOTS, 0), render(Style.STRIPES, 1));
        Classification a = c.classify(manager, images);
        Classification b = back.classify(manager, images);
        for (int i = 0; i < 2; i++) {
            // float16 storage: features agree to about 3 decimal digits
            for (int k = 0; k < a.features()[i].length; k++) {
                assertThat(b.features()[i][k]).isCloseTo(a.features()[i][k],
                        within(2e-3 * (1 + Math.abs(a.features()[i][k]))));
            }
        }
    }

    @Test
    void imagesOfAnotherSizeAreResizedToTheInput() {
        ShapesClassifier c = new ShapesClassifier(manager, TINY);
        Classification r = c.classify(manager, List.of(ShapesRenderer.render(spec(Style.PLAIN, 0), 48)));
        assertThat(r.size()).isEqualTo(1);
        assertThat(r.features()[0]).hasSize(32);
    }

    @Test
    void configChecksItsFieldsAndLabelOrder() {
        assertThatThrownBy(() -> new ShapesClassifierConfig(30, List.of(8, 16, 32), 4))
                .hasMessageContaining("image_size").hasMessageContaining("2^2");
        assertThatThrownBy(() -> new ShapesClassifierConfig(16, List.of(8, 12), 8)).hasMessageContaining("norm_num_groups=8");
        String json = TINY.toJson();
        assertThat(ShapesClassifierConfig.parse(json, "t")).isEqualTo(TINY);
        String swapped = json.replace("\"circle\", \"square\"", "\"square\", \"circle\"");
        assertThat(swapped).isNotEqualTo(json);
        assertThatThrownBy(() -> ShapesClassifierConfig.parse(swapped, "t"))
                .hasMessageContaining("shapes").hasMessageContaining("retrain");
    }

    @Test
    void aMissingFolderSaysHowToMakeOne() {
        assertThatThrownBy(() -> ShapesClassifier.load(dir.resolve("none"), manager))
                .hasMessageContaining("none").hasMessageContaining("train-classifier");
        assertThat(Files.exists(dir.resolve("none"))).isFalse();
    }

    static ShapesSpec spec(Style style, int k) {
        return ClassifierTrainer.validationSpecs(k + 1, 42, 16).get(style).get(k);
    }

    private static BufferedImage render(Style style, int k) {
        return ShapesRenderer.render(spec(style, k), 16);
    }
}
