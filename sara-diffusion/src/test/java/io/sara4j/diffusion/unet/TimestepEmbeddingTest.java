package io.sara4j.diffusion.unet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.testing.Ref64;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TimestepEmbeddingTest extends EngineTestBase {

    @Test
    void keysAndShapesFollowDiffusers() {
        TimestepEmbedding embedding = new TimestepEmbedding(manager, 16, 64, Activations.SILU);
        Map<String, Ref64> p = Ref64.params(embedding);
        assertThat(p.keySet()).containsExactly("linear_1.weight", "linear_1.bias", "linear_2.weight", "linear_2.bias");
        assertThat(p.get("linear_1.weight").shape()).containsExactly(64, 16);
        assertThat(p.get("linear_2.weight").shape()).containsExactly(64, 64);
    }

    @Test
    void sinusoidThenMlpMatchesFloat64Reference() {
        Random random = new Random(11);
        TimestepEmbedding embedding = new TimestepEmbedding(manager, 16, 32, Activations.SILU);
        RandomWeights.fill(embedding, random);
        Map<String, Ref64> p = Ref64.params(embedding);

        NDArray sinusoid = new Timesteps(16, true, 0).forward(manager.create(new long[] {2, 7}));
        Ref64 x = TimestepsTest.reference(new double[] {2, 7}, 16, true, 0);
        Ref64 expected = Ref64.linear(
                Ref64.linear(x, p.get("linear_1.weight"), p.get("linear_1.bias")).map(Ref64::silu),
                p.get("linear_2.weight"), p.get("linear_2.bias"));
        assertMatches(embedding.forward(sinusoid), expected);

        // the same MLP on arbitrary Java-side inputs
        Ref64 input = new Ref64(Tensors.roundToFloat(Tensors.uniform(random, 48, 2)), 3, 16);
        Ref64 expected2 = Ref64.linear(
                Ref64.linear(input, p.get("linear_1.weight"), p.get("linear_1.bias")).map(Ref64::silu),
                p.get("linear_2.weight"), p.get("linear_2.bias"));
        assertMatches(embedding.forward(input.toNd(manager)), expected2);
    }
}
