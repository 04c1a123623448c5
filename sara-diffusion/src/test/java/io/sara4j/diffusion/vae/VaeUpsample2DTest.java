package io.sara4j.diffusion.vae;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.testing.Ref64;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VaeUpsample2DTest {
    @Test
    void nearestTwiceThenThreeByThreeConvolution() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            VaeUpsample2D up = RandomWeights.fill(new VaeUpsample2D(m, 3), 4);
            Ref64 x = new Ref64(Tensors.uniform(new Random(3), 2 * 3 * 3 * 4, 1.0), 2, 3, 3, 4);
            NDArray out = up.forward(x.toNd(m));
            Ref64 expected = Ref64.conv2d(Ref64.upsampleNearest2x(x), Ref64.of(up.stateDict().get("conv.weight")),
                    Ref64.of(up.stateDict().get("conv.bias")), 1, 1);
            assertThat(Ref64.of(out).shape()).containsExactly(2, 3, 6, 8);
            assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out), expected.v())).isLessThan(1e-6);
            assertThat(up.namedParameters().keySet()).containsExactly("conv.weight", "conv.bias");
        }
    }
}
