package io.sara4j.diffusion.unet;

import static org.assertj.core.api.Assertions.assertThat;

import io.sara4j.core.nn.Activations;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.testing.Ref64;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DownBlock2DTest extends EngineTestBase {

    @Test
    void keysFollowDiffusers() {
        DownBlock2D block = new DownBlock2D(manager, 4, 8, 6, 2, 1e-5f, 2, 0f, Activations.SILU, true, 1);
        assertThat(block.namedParameters()).containsKeys("resnets.0.conv_shortcut.weight", "resnets.1.conv2.bias",
                "downsamplers.0.conv.weight", "downsamplers.0.conv.bias").doesNotContainKey("resnets.1.conv_shortcut.weight");
        assertThat(new DownBlock2D(manager, 8, 8, 6, 1, 1e-5f, 2, 0f, Activations.SILU, false, 1).namedParameters())
                .doesNotContainKey("downsamplers.0.conv.weight");
    }

    @Test
    void resnetsThenDownsamplerKeepEveryOutputAsSkip() {
        Random random = new Random(71);
        float eps = 1e-5f;
        DownBlock2D block = new DownBlock2D(manager, 4, 8, 6, 2, eps, 2, 0f, Activations.SILU, true, 1);
        RandomWeights.fill(block, random);
        Map<String, Ref64> p = Ref64.params(block);
        Ref64 x = new Ref64(Tensors.normal(random, 2 * 4 * 36), 2, 4, 6, 6);
        Ref64 temb = new Ref64(Tensors.normal(random, 12), 2, 6);
        Ref64 r0 = ResnetBlock2DTest.reference(p, "resnets.0.", x, temb, 2, eps, 1);
        Ref64 r1 = ResnetBlock2DTest.reference(p, "resnets.1.", r0, temb, 2, eps, 1);
        Ref64 down = Ref64.conv2d(r1, p.get("downsamplers.0.conv.weight"), p.get("downsamplers.0.conv.bias"), 2, 1, 1);

        UNetDownBlock.Output out = block.forward(x.toNd(manager), temb.toNd(manager), null);
        assertThat(block.numOutputStates()).isEqualTo(3);
        assertThat(out.outputStates()).hasSize(3);
        assertMatches(out.outputStates().get(0), r0);
        assertMatches(out.outputStates().get(1), r1);
        assertMatches(out.outputStates().get(2), down);
        assertMatches(out.hiddenStates(), down);
    }
}
