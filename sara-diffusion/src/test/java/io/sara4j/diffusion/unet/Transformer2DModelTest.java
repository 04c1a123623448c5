package io.sara4j.diffusion.unet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.testing.Ref64;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Transformer2DModel} with both projection kinds, and the {@link BasicTransformerBlock}s inside. */
class Transformer2DModelTest extends EngineTestBase {
    private static final double BLOCK_EPS = 1e-5;
    private static final double NORM_EPS = 1e-6;

    /** norm1 → attn1 (+), norm2 → attn2 to the context (+), norm3 → feed-forward (+). */
    static Ref64 blockReference(Map<String, Ref64> p, String prefix, Ref64 hidden, Ref64 context, int heads,
            boolean onlyCrossAttention) {
        Ref64 n = Ref64.layerNorm(hidden, p.get(prefix + "norm1.weight"), p.get(prefix + "norm1.bias"), BLOCK_EPS);
        hidden = Ref64.diffusersAttention(p, prefix + "attn1.", n, onlyCrossAttention ? context : n, heads).add(hidden);
        n = Ref64.layerNorm(hidden, p.get(prefix + "norm2.weight"), p.get(prefix + "norm2.bias"), BLOCK_EPS);
        hidden = Ref64.diffusersAttention(p, prefix + "attn2.", n, context, heads).add(hidden);
        n = Ref64.layerNorm(hidden, p.get(prefix + "norm3.weight"), p.get(prefix + "norm3.bias"), BLOCK_EPS);
        return FeedForwardTest.reference(p, prefix + "ff.", n).add(hidden);
    }

    /** norm → proj_in → blocks on the H·W tokens → proj_out, plus the input. */
    static Ref64 reference(Map<String, Ref64> p, String prefix, Ref64 x, Ref64 context, int heads, int groups,
            int layers, boolean linear, boolean onlyCrossAttention) {
        int h = x.dim(2);
        int w = x.dim(3);
        Ref64 normed = Ref64.groupNorm(x, groups, p.get(prefix + "norm.weight"), p.get(prefix + "norm.bias"), NORM_EPS);
        Ref64 tokens;
        if (linear) {
            tokens = Ref64.linear(Ref64.toTokens(normed), p.get(prefix + "proj_in.weight"), p.get(prefix + "proj_in.bias"));
        } else {
            tokens = Ref64.toTokens(Ref64.conv2d(normed, p.get(prefix + "proj_in.weight"), p.get(prefix + "proj_in.bias"), 1, 0, 0));
        }
        for (int i = 0; i < layers; i++) {
            tokens = blockReference(p, prefix + "transformer_blocks." + i + ".", tokens, context, heads, onlyCrossAttention);
        }
        Ref64 out;
        if (linear) {
            out = Ref64.fromTokens(Ref64.linear(tokens, p.get(prefix + "proj_out.weight"), p.get(prefix + "proj_out.bias")), h, w);
        } else {
            out = Ref64.conv2d(Ref64.fromTokens(tokens, h, w), p.get(prefix + "proj_out.weight"), p.get(prefix + "proj_out.bias"), 1, 0, 0);
        }
        return out.add(x);
    }

    @Test
    void convProjectionKeysAndShapes() {
        Transformer2DModel model = new Transformer2DModel(manager, 2, 4, 8, 1, 6, 4, false, false, false);
        Map<String, Ref64> p = Ref64.params(model);
        assertThat(p.keySet()).containsExactly(
                "norm.weight", "norm.bias", "proj_in.weight", "proj_in.bias",
                "transformer_blocks.0.norm1.weight", "transformer_blocks.0.norm1.bias",
                "transformer_blocks.0.attn1.to_q.weight", "transformer_blocks.0.attn1.to_k.weight",
                "transformer_blocks.0.attn1.to_v.weight", "transformer_blocks.0.attn1.to_out.0.weight",
                "transformer_blocks.0.attn1.to_out.0.bias",
                "transformer_blocks.0.norm2.weight", "transformer_blocks.0.norm2.bias",
                "transformer_blocks.0.attn2.to_q.weight", "transformer_blocks.0.attn2.to_k.weight",
                "transformer_blocks.0.attn2.to_v.weight", "transformer_blocks.0.attn2.to_out.0.weight",
                "transformer_blocks.0.attn2.to_out.0.bias",
                "transformer_blocks.0.norm3.weight", "transformer_blocks.0.norm3.bias",
                "transformer_blocks.0.ff.net.0.proj.weight", "transformer_blocks.0.ff.net.0.proj.bias",
                "transformer_blocks.0.ff.net.2.weight", "transformer_blocks.0.ff.net.2.bias",
                "proj_out.weight", "proj_out.bias");
        assertThat(p.get("proj_in.weight").shape()).containsExactly(8, 8, 1, 1);
        assertThat(p.get("proj_out.weight").shape()).containsExactly(8, 8, 1, 1);
        assertThat(p.get("transformer_blocks.0.attn1.to_k.weight").shape()).containsExactly(8, 8);
        assertThat(p.get("transformer_blocks.0.attn2.to_k.weight").shape()).containsExactly(8, 6);
        assertThat(p.get("transformer_blocks.0.attn2.to_v.weight").shape()).containsExactly(8, 6);
    }

    @Test
    void linearProjectionAndOnlyCrossAttentionShapes() {
        Transformer2DModel model = new Transformer2DModel(manager, 2, 4, 8, 2, 6, 4, true, true, false);
        Map<String, Ref64> p = Ref64.params(model);
        assertThat(p.get("proj_in.weight").shape()).containsExactly(8, 8);
        assertThat(p.get("proj_out.weight").shape()).containsExactly(8, 8);
        assertThat(p.get("transformer_blocks.1.attn1.to_k.weight").shape()).containsExactly(8, 6);
        assertThat(p).containsKey("transformer_blocks.1.ff.net.2.bias").doesNotContainKey("transformer_blocks.2.norm1.weight");
    }

    @Test
    void convProjectionMatchesFloat64Reference() {
        check(false, false, 1, 41);
    }

    @Test
    void linearProjectionMatchesFloat64Reference() {
        check(true, false, 1, 42);
    }

    @Test
    void twoLayersWithOnlyCrossAttentionMatchFloat64Reference() {
        check(false, true, 2, 43);
    }

    private void check(boolean linear, boolean onlyCross, int layers, long seed) {
        Random random = new Random(seed);
        int heads = 2;
        int channels = 8;
        int groups = 4;
        int crossDim = 6;
        Transformer2DModel model = new Transformer2DModel(manager, heads, channels / heads, channels, layers, crossDim,
                groups, linear, onlyCross, false);
        RandomWeights.fill(model, random);
        Ref64 x = new Ref64(Tensors.normal(random, 2 * channels * 12), 2, channels, 3, 4);
        Ref64 context = new Ref64(Tensors.normal(random, 2 * 5 * crossDim), 2, 5, crossDim);
        Ref64 expected = reference(Ref64.params(model), "", x, context, heads, groups, layers, linear, onlyCross);
        assertMatches(model.forward(x.toNd(manager), context.toNd(manager)), expected);
    }

    @Test
    void rejectsInnerWidthDifferentFromChannels() {
        assertThatThrownBy(() -> new Transformer2DModel(manager, 3, 2, 8, 1, 6, 4, false, false, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("heads·headDim");
    }
}
