package io.sara4j.diffusion.vae;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.testing.Ref64;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VaeResnetBlock2DTest {
    private static void check(int in, int out, long seed) {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            VaeResnetBlock2D block = RandomWeights.fill(
                    new VaeResnetBlock2D(m, in, out, 2, 1e-6f, Activations.SILU), seed);
            Ref64 x = new Ref64(Tensors.uniform(new Random(seed), 2 * in * 4 * 5, 1.5), 2, in, 4, 5);
            NDArray actual = block.forward(x.toNd(m));
            Map<String, NDArray> prefixed = new HashMap<>();
            block.stateDict().forEach((k, v) -> prefixed.put("block." + k, v));
            Ref64 expected = new VaeReference(prefixed, 2).resnet("block", x);
            assertThat(Tensors.maxRelativeError(Tensors.toDoubles(actual), expected.v())).isLessThan(1e-5);
        }
    }

    @Test
    void identityShortcutWhenChannelsStay() {
        check(4, 4, 1);
    }

    @Test
    void oneByOneShortcutWhenChannelsChange() {
        check(4, 6, 2);
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            assertThat(new VaeResnetBlock2D(m, 4, 6, 2, 1e-6f, Activations.SILU).namedParameters().keySet())
                    .containsExactly("norm1.weight", "norm1.bias", "conv1.weight", "conv1.bias", "norm2.weight",
                            "norm2.bias", "conv2.weight", "conv2.bias", "conv_shortcut.weight", "conv_shortcut.bias");
        }
    }
}
