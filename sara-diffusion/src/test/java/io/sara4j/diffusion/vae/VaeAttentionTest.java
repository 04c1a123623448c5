package io.sara4j.diffusion.vae;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.testing.Ref64;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VaeAttentionTest {
    private static void check(int channels, int heads, int groups, long seed) {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            VaeAttention attn = RandomWeights.fill(new VaeAttention(m, channels, heads, groups, 1e-6f), seed);
            Ref64 x = new Ref64(Tensors.uniform(new Random(seed), 2 * channels * 3 * 5, 2.0), 2, channels, 3, 5);
            NDArray out = attn.forward(x.toNd(m));
            assertThat(out.getShape()).isEqualTo(x.toNd(m).getShape());
            Ref64 expected = new VaeReference(attn.stateDict(), groups).attention("", x, heads);
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
