package io.sara4j.diffusion.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.sara4j.diffusion.data.shapes.ShapesSpec;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.testing.EngineTestBase;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shipped {@code models/shapes-classifier} loads and reads fresh renders of every style. */
class BundledClassifierTest extends EngineTestBase {
    @Test
    void everyHeadIsAccurateOnFreshRendersOfEveryStyle() throws Exception {
        Path folder = ShapesClassifier.bundledFolder();
        assertThat(folder.endsWith(ShapesClassifier.BUNDLED)).isTrue();
        ShapesClassifier classifier = ShapesClassifier.load(folder, manager);
        assertThat(classifier.config()).isEqualTo(ShapesClassifierConfig.DEFAULT);
        // a seed the training run never used for training or validation
        Map<Style, List<ShapesSpec>> fresh = ClassifierTrainer.validationSpecs(48, 20_251_125, 32);
        fresh.forEach((style, specs) -> {
            ClassifierTrainer.Accuracy a = ClassifierTrainer.accuracy(classifier, manager, specs);
            assertThat(a.shape()).as("%s shape", style).isGreaterThan(0.9);
            assertThat(a.colour()).as("%s colour", style).isGreaterThan(0.9);
            assertThat(a.style()).as("%s style", style).isGreaterThan(0.9);
        });
    }
}
