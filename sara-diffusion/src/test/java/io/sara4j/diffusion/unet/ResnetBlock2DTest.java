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

class ResnetBlock2DTest extends EngineTestBase {

    /** norm1 → SiLU → conv1 → + proj(SiLU(temb)) → norm2 → SiLU → conv2, plus the (projected) input, / scale. */
    static Ref64 reference(Map<String, Ref64> p, String prefix, Ref64 x, Ref64 temb, int groups, double eps,
            double outputScaleFactor) {
        Ref64 h = Ref64.groupNorm(x, groups, p.get(prefix + "norm1.weight"), p.get(prefix + "norm1.bias"), eps);
        h = Ref64.conv2d(h.map(Ref64::silu), p.get(prefix + "conv1.weight"), p.get(prefix + "conv1.bias"), 1, 1, 1);
        Ref64 t = Ref64.linear(temb.map(Ref64::silu), p.get(prefix + "time_emb_proj.weight"),
                p.get(prefix + "time_emb_proj.bias"));
        h = Ref64.addPerChannel(h, t);
        h = Ref64.groupNorm(h, groups, p.get(prefix + "norm2.weight"), p.get(prefix + "norm2.bias"), eps);
        h = Ref64.conv2d(h.map(Ref64::silu), p.get(prefix + "conv2.weight"), p.get(prefix + "conv2.bias"), 1, 1, 1);
        Ref64 shortcut = p.containsKey(prefix + "conv_shortcut.weight")
                ? Ref64.conv2d(x, p.get(prefix + "conv_shortcut.weight"), p.get(prefix + "conv_shortcut.bias"), 1, 0, 0)
                : x;
        return shortcut.add(h).scale(1 / outputScaleFactor);
    }

    @Test
    void keysAndShapesWithAndWithoutShortcut() {
        ResnetBlock2D widening = new ResnetBlock2D(manager, 8, 12, 20, 4, 1e-5f, 0f, Activations.SILU, 1f);
        Map<String, Ref64> p = Ref64.params(widening);
        assertThat(p.keySet()).containsExactly(
                "norm1.weight", "norm1.bias", "conv1.weight", "conv1.bias", "time_emb_proj.weight", "time_emb_proj.bias",
                "norm2.weight", "norm2.bias", "conv2.weight", "conv2.bias", "conv_shortcut.weight", "conv_shortcut.bias");
        assertThat(p.get("conv1.weight").shape()).containsExactly(12, 8, 3, 3);
        assertThat(p.get("time_emb_proj.weight").shape()).containsExactly(12, 20);
        assertThat(p.get("conv_shortcut.weight").shape()).containsExactly(12, 8, 1, 1);

        ResnetBlock2D same = new ResnetBlock2D(manager, 8, 8, 20, 4, 1e-5f, 0f, Activations.SILU, 1f);
        assertThat(same.namedParameters()).doesNotContainKey("conv_shortcut.weight").hasSize(10);
    }

    @Test
    void matchesFloat64ReferenceWithShortcut() {
        check(8, 12, 4, 1.0, 21);
    }

    @Test
    void matchesFloat64ReferenceWithIdentityShortcutAndOutputScale() {
        check(8, 8, 2, 2.0, 22);
    }

    private void check(int in, int out, int groups, double outputScaleFactor, long seed) {
        Random random = new Random(seed);
        float eps = 1e-5f;
        ResnetBlock2D block = new ResnetBlock2D(manager, in, out, 10, groups, eps, 0f, Activations.SILU,
                (float) outputScaleFactor);
        RandomWeights.fill(block, random);
        Ref64 x = new Ref64(Tensors.normal(random, 2 * in * 30), 2, in, 5, 6);
        Ref64 temb = new Ref64(Tensors.normal(random, 20), 2, 10);
        Ref64 expected = reference(Ref64.params(block), "", x, temb, groups, eps, outputScaleFactor);
        assertMatches(block.forward(x.toNd(manager), temb.toNd(manager)), expected);
    }
}
