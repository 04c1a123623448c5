package io.sara4j.diffusion.unet;

import static org.assertj.core.api.Assertions.assertThat;

import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.testing.Ref64;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Downsample2DTest extends EngineTestBase {

    @Test
    void convolutionKeyAndShape() {
        Map<String, Ref64> p = Ref64.params(new Downsample2D(manager, 4, true, 6, 1));
        assertThat(p.keySet()).containsExactly("conv.weight", "conv.bias");
        assertThat(p.get("conv.weight").shape()).containsExactly(6, 4, 3, 3);
        assertThat(new Downsample2D(manager, 4, false, 4, 1).namedParameters()).isEmpty();
    }

    @Test
    void strideTwoConvolutionMatchesFloat64Reference() {
        Random random = new Random(51);
        Downsample2D down = new Downsample2D(manager, 4, true, 6, 1);
        RandomWeights.fill(down, random);
        Map<String, Ref64> p = Ref64.params(down);
        for (int size : new int[] {8, 7}) {
            Ref64 x = new Ref64(Tensors.normal(random, 8 * size * (size + 1)), 2, 4, size, size + 1);
            Ref64 expected = Ref64.conv2d(x, p.get("conv.weight"), p.get("conv.bias"), 2, 1, 1);
            assertMatches(down.forward(x.toNd(manager)), expected);
        }
    }

    @Test
    void paddingZeroPadsBottomAndRightOnly() {
        Random random = new Random(52);
        Downsample2D down = new Downsample2D(manager, 4, true, 4, 0);
        RandomWeights.fill(down, random);
        Map<String, Ref64> p = Ref64.params(down);
        Ref64 x = new Ref64(Tensors.normal(random, 256), 1, 4, 8, 8);
        Ref64 expected = Ref64.conv2d(x, p.get("conv.weight"), p.get("conv.bias"), 2, 0, 1);
        assertMatches(down.forward(x.toNd(manager)), expected);
    }

    @Test
    void averagePoolingVariant() {
        Random random = new Random(53);
        Ref64 x = new Ref64(Tensors.normal(random, 32), 1, 2, 4, 4);
        double[] expected = new double[8];
        for (int c = 0; c < 2; c++) {
            for (int oy = 0; oy < 2; oy++) {
                for (int ox = 0; ox < 2; ox++) {
                    double s = 0;
                    for (int dy = 0; dy < 2; dy++) {
                        for (int dx = 0; dx < 2; dx++) {
                            s += x.v()[(c * 4 + 2 * oy + dy) * 4 + 2 * ox + dx];
                        }
                    }
                    expected[(c * 2 + oy) * 2 + ox] = s / 4;
                }
            }
        }
        assertMatches(new Downsample2D(manager, 2, false, 2, 1).forward(x.toNd(manager)),
                new Ref64(expected, 1, 2, 2, 2));
    }
}
