package io.sara4j.diffusion.unet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.types.Shape;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.testing.Ref64;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Upsample2DTest extends EngineTestBase {

    @Test
    void convolutionKeyAndShape() {
        Map<String, Ref64> p = Ref64.params(new Upsample2D(manager, 4, true, 6));
        assertThat(p.keySet()).containsExactly("conv.weight", "conv.bias");
        assertThat(p.get("conv.weight").shape()).containsExactly(6, 4, 3, 3);
    }

    @Test
    void nearestDoublingThenConvolutionMatchesFloat64Reference() {
        Random random = new Random(61);
        Upsample2D up = new Upsample2D(manager, 4, true, 6);
        RandomWeights.fill(up, random);
        Map<String, Ref64> p = Ref64.params(up);
        Ref64 x = new Ref64(Tensors.normal(random, 120), 2, 4, 3, 5);
        Ref64 expected = Ref64.conv2d(Ref64.nearest(x, 6, 10), p.get("conv.weight"), p.get("conv.bias"), 1, 1, 1);
        assertMatches(up.forward(x.toNd(manager)), expected);
        assertMatches(up.forward(x.toNd(manager), new Shape(6, 10)), expected);
    }

    @Test
    void explicitOutputSizeForOddSkips() {
        Random random = new Random(62);
        Upsample2D up = new Upsample2D(manager, 2, true, 2);
        RandomWeights.fill(up, random);
        Map<String, Ref64> p = Ref64.params(up);
        Ref64 x = new Ref64(Tensors.normal(random, 24), 1, 2, 4, 3);
        Ref64 expected = Ref64.conv2d(Ref64.nearest(x, 7, 5), p.get("conv.weight"), p.get("conv.bias"), 1, 1, 1);
        assertMatches(up.forward(x.toNd(manager), new Shape(7, 5)), expected);
    }

    @Test
    void nearestRowsFollowPytorchIndexRule() {
        // 4 → 7 rows: source row ⌊i · 4/7⌋ = 0, 0, 1, 1, 2, 2, 3
        Ref64 x = new Ref64(new double[] {10, 20, 30, 40}, 1, 1, 4, 1);
        Upsample2D up = new Upsample2D(manager, 1, false, 1);
        assertThat(up.forward(x.toNd(manager), new Shape(7, 1)).toFloatArray())
                .containsExactly(10, 10, 20, 20, 30, 30, 40);
    }
}
