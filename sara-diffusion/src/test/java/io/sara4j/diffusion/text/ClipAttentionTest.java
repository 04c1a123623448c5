package io.sara4j.diffusion.text;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.testing.Ref64;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ClipAttentionTest {
    private static final ClipTextConfig CONFIG = ClipTextConfig.parse(
            "{\"hidden_size\": 12, \"num_attention_heads\": 3, \"vocab_size\": 10}", "test");

    @Test
    void causalMultiHeadAttentionMatchesFloat64Reference() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            ClipAttention attn = RandomWeights.fill(new ClipAttention(m, CONFIG), 7);
            Ref64 x = new Ref64(Tensors.uniform(new Random(1), 2 * 5 * 12, 1.0), 2, 5, 12);
            NDArray mask = ClipTextTransformer.causalMask(m, 5, DataType.FLOAT32);
            NDArray out = attn.forward(x.toNd(m), mask);

            Map<String, NDArray> w = attn.stateDict();
            Ref64 q = Ref64.linear(x, Ref64.of(w.get("q_proj.weight")), Ref64.of(w.get("q_proj.bias")));
            Ref64 k = Ref64.linear(x, Ref64.of(w.get("k_proj.weight")), Ref64.of(w.get("k_proj.bias")));
            Ref64 v = Ref64.linear(x, Ref64.of(w.get("v_proj.weight")), Ref64.of(w.get("v_proj.bias")));
            Ref64 a = Ref64.attention(q, k, v, 3, 1 / Math.sqrt(4), true);
            Ref64 expected = Ref64.linear(a, Ref64.of(w.get("out_proj.weight")), Ref64.of(w.get("out_proj.bias")));
            assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out), expected.v())).isLessThan(1e-5);
        }
    }

    @Test
    void keysFollowTransformersRegistrationOrder() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            assertThat(new ClipAttention(m, CONFIG).namedParameters().keySet()).containsExactly(
                    "k_proj.weight", "k_proj.bias", "v_proj.weight", "v_proj.bias",
                    "q_proj.weight", "q_proj.bias", "out_proj.weight", "out_proj.bias");
        }
    }

    @Test
    void causalMaskIsZeroOnAndBelowTheDiagonal() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            float[] mask = ClipTextTransformer.causalMask(m, 3, DataType.FLOAT32).toFloatArray();
            float min = -Float.MAX_VALUE;
            assertThat(mask).containsExactly(0, min, min, 0, 0, min, 0, 0, 0);
        }
    }
}
