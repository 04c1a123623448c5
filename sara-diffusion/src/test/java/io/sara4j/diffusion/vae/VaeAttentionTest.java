package io.sara4j.diffusion.vae;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.testing.Ref64;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VaeAttentionTest {
    /** Spatial self-attention with group norm and residual, computed in float64 from the keys. */
    private static Ref64 reference(Map<String, NDArray> w, Ref64 x, int heads, int groups) {
        int n = x.dim(0);
        int c = x.dim(1);
        int hw = x.dim(2) * x.dim(3);
        Ref64 normed = Ref64.groupNorm(x, groups, Ref64.of(w.get("group_norm.weight")),
                Ref64.of(w.get("group_norm.bias")), 1e-6);
        Ref64 t = normed.reshape(n, c, hw).transposeLast(); // (N, HW, C)
        Ref64 q = Ref64.linear(t, Ref64.of(w.get("to_q.weight")), Ref64.of(w.get("to_q.bias")));
        Ref64 k = Ref64.linear(t, Ref64.of(w.get("to_k.weight")), Ref64.of(w.get("to_k.bias")));
        Ref64 v = Ref64.linear(t, Ref64.of(w.get("to_v.weight")), Ref64.of(w.get("to_v.bias")));
        Ref64 a = Ref64.attention(q, k, v, heads, 1 / Math.sqrt((double) c / heads), false);
        Ref64 o = Ref64.linear(a, Ref64.of(w.get("to_out.0.weight")), Ref64.of(w.get("to_out.0.bias")));
        return o.transposeLast().reshape(x.shape()).add(x);
    }

    private static void check(int channels, int heads, int groups, long seed) {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            VaeAttention attn = RandomWeights.fill(new VaeAttention(m, channels, heads, groups, 1e-6f), seed);
            Ref64 x = new Ref64(Tensors.uniform(new Random(seed), 2 * channels * 3 * 5, 2.0), 2, channels, 3, 5);
            NDArray out = attn.forward(x.toNd(m));
            assertThat(out.getShape()).isEqualTo(x.toNd(m).getShape());
            Ref64 expected = reference(attn.stateDict(), x, heads, groups);
            assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out), expected.v())).isLessThan(1e-5);
        }
    }

    @Test
    void oneHeadAsInTheVaeMatchesFloat64Reference() {
        check(8, 1, 4, 1);
    }

    @Test
    void severalHeadsMatchFloat64Reference() {
        check(8, 2, 2, 2);
    }

    @Test
    void keysAreThoseOfDiffusersAttention() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            assertThat(new VaeAttention(m, 8, 1, 4, 1e-6f).namedParameters().keySet()).containsExactly(
                    "group_norm.weight", "group_norm.bias", "to_q.weight", "to_q.bias", "to_k.weight", "to_k.bias",
                    "to_v.weight", "to_v.bias", "to_out.0.weight", "to_out.0.bias");
            assertThatThrownBy(() -> new VaeAttention(m, 8, 3, 4, 1e-6f))
                    .hasMessageContaining("heads=3 must divide channels=8");
        }
    }
}
