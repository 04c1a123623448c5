package io.sara4j.diffusion.unet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.testing.Ref64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class UpBlock2DTest extends EngineTestBase {

    @Test
    void resnetWidthsAddTheSkipChannels() {
        // in = 4 (finer level), prev = 12 (coarser level), out = 8, three resnets
        UpBlock2D block = new UpBlock2D(manager, 4, 12, 8, 6, 3, 1e-5f, 2, 0f, Activations.SILU, true);
        Map<String, Ref64> p = Ref64.params(block);
        assertThat(p.get("resnets.0.conv1.weight").shape()).containsExactly(8, 12 + 8, 3, 3);
        assertThat(p.get("resnets.1.conv1.weight").shape()).containsExactly(8, 8 + 8, 3, 3);
        assertThat(p.get("resnets.2.conv1.weight").shape()).containsExactly(8, 8 + 4, 3, 3);
        assertThat(p.get("upsamplers.0.conv.weight").shape()).containsExactly(8, 8, 3, 3);
    }

    @Test
    void consumesSkipsFromTheEndHiddenFirstThenUpsamples() {
        Random random = new Random(81);
        float eps = 1e-5f;
        UpBlock2D block = new UpBlock2D(manager, 4, 12, 8, 6, 2, eps, 2, 0f, Activations.SILU, true);
        RandomWeights.fill(block, random);
        Map<String, Ref64> p = Ref64.params(block);
        Ref64 hidden = new Ref64(Tensors.normal(random, 144), 1, 12, 3, 4);
        Ref64 skipFirst = new Ref64(Tensors.normal(random, 48), 1, 4, 3, 4);  // produced earlier
        Ref64 skipLast = new Ref64(Tensors.normal(random, 96), 1, 8, 3, 4);   // produced last
        Ref64 temb = new Ref64(Tensors.normal(random, 6), 1, 6);

        Ref64 h = ResnetBlock2DTest.reference(p, "resnets.0.", Ref64.concatChannels(hidden, skipLast), temb, 2, eps, 1);
        h = ResnetBlock2DTest.reference(p, "resnets.1.", Ref64.concatChannels(h, skipFirst), temb, 2, eps, 1);
        Ref64 expected = Ref64.conv2d(Ref64.nearest(h, 7, 8), p.get("upsamplers.0.conv.weight"),
                p.get("upsamplers.0.conv.bias"), 1, 1, 1);

        var out = block.forward(hidden.toNd(manager), List.of(skipFirst.toNd(manager), skipLast.toNd(manager)),
                temb.toNd(manager), null, new Shape(7, 8));
        assertMatches(out, expected);
    }

    @Test
    void demandsOneSkipPerResnet() {
        UpBlock2D block = new UpBlock2D(manager, 4, 4, 4, 6, 2, 1e-5f, 2, 0f, Activations.SILU, false);
        assertThatThrownBy(() -> block.forward(manager.zeros(new Shape(1, 4, 2, 2)), List.of(), manager.zeros(new Shape(1, 6)),
                null, null)).hasMessageContaining("needs 2 skip connections, got 0");
    }
}
