package io.sara4j.diffusion.data.shapes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import io.sara4j.diffusion.testing.EngineTestBase;
import java.awt.image.BufferedImage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShapesTrainingSetTest extends EngineTestBase {
    private static Map<Style, String> prefixes() {
        Map<Style, String> m = new LinkedHashMap<>();
        m.put(Style.PLAIN, "plain style, ");
        m.put(Style.CHECKER, "checker style, ");
        return m;
    }

    private static final ShapesOptions ALL = ShapesOptions.builder().optSplit(Split.ALL).build();

    @Test
    void examplesAreTheBenchmarkSpecsOfEachStyleWithPrefixedCaptions() {
        ShapesTrainingSet set = ShapesTrainingSet.of(prefixes(), 5, 7, ALL, 0, 16);
        List<ShapesSpec> content = ShapesDataset.specs(Style.PLAIN, 5, 7, ALL);
        assertThat(set.size()).isEqualTo(10);
        List<String> captions = set.captions(new int[] {0, 4, 5, 9});
        assertThat(captions).containsExactly("plain style, " + content.get(0).caption(),
                "plain style, " + content.get(4).caption(), "checker style, " + content.get(0).caption(),
                "checker style, " + content.get(4).caption());
        assertThat(set.spec(6)).isEqualTo(content.get(1).withStyle(Style.CHECKER));
    }

    @Test
    void imagesAreTheRendersInModelSpace() {
        ShapesTrainingSet set = ShapesTrainingSet.of(prefixes(), 3, 1, ALL, 0, 16);
        NDArray batch = set.images(manager, new int[] {4, 0}, 123);
        assertThat(batch.getShape().getShape()).containsExactly(2, 3, 16, 16);
        float[] values = batch.toFloatArray();
        BufferedImage expected = ShapesRenderer.render(set.spec(4), 16);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                int rgb = expected.getRGB(x, y);
                // channel c of pixel (x, y) of the first image, mapped 0..255 → −1..1
                assertThat(values[y * 16 + x]).isEqualTo(((rgb >> 16) & 0xff) / 127.5f - 1f);
                assertThat(values[2 * 256 + y * 16 + x]).isEqualTo((rgb & 0xff) / 127.5f - 1f);
            }
        }
        assertThat(set.images(manager, new int[] {4, 0}, 999).toFloatArray()).containsExactly(values);
    }

    @Test
    void aboutTheRequestedShareOfCaptionsIsEmpty() {
        ShapesTrainingSet set = ShapesTrainingSet.of(prefixes(), 1000, 3, ALL, 0.1, 16);
        int[] all = new int[set.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        long empty = set.captions(all).stream().filter(String::isEmpty).count();
        assertThat(empty).isBetween(150L, 250L); // 2000 × 0.1, ±5 binomial standard deviations
        assertThat(ShapesTrainingSet.of(prefixes(), 1000, 3, ALL, 0.1, 16).captions(all)).isEqualTo(set.captions(all));
    }

    @Test
    void badArgumentsAreNamed() {
        assertThatThrownBy(() -> ShapesTrainingSet.of(Map.of(), 3, 1, ALL, 0, 16)).hasMessageContaining("style");
        assertThatThrownBy(() -> ShapesTrainingSet.of(prefixes(), 3, 1, ALL, 1.0, 16))
                .hasMessageContaining("emptyCaptionFraction");
        assertThatThrownBy(() -> ShapesTrainingSet.of(prefixes(), 3, 1, ALL, 0, 4)).hasMessageContaining("imageSize");
    }
}
