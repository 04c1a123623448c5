package io.sara4j.diffusion.vae;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.testing.Ref64;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VaeDownsample2DTest {
    @Test
    void padsBottomAndRightOnlyThenConvolvesWithStrideTwo() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            VaeDownsample2D down = RandomWeights.fill(new VaeDownsample2D(m, 3), 1);
            for (int[] hw : new int[][] {{6, 8}, {5, 7}}) {
                Ref64 x = new Ref64(Tensors.uniform(new Random(2), 2 * 3 * hw[0] * hw[1], 1.0), 2, 3, hw[0], hw[1]);
                NDArray out = down.forward(x.toNd(m));
                Ref64 expected = Ref64.conv2d(x, Ref64.of(down.stateDict().get("conv.weight")),
                        Ref64.of(down.stateDict().get("conv.bias")), 2, 0, 1, 0, 1);
                assertThat(out.getShape()).isEqualTo(new Shape(2, 3, expected.dim(2), expected.dim(3)));
                assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out), expected.v())).isLessThan(1e-6);
            }
            assertThat(down.namedParameters().keySet()).containsExactly("conv.weight", "conv.bias");
        }
    }

    @Test
    void evenSizesAreHalved() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            assertThat(new VaeDownsample2D(m, 2).forward(m.zeros(new Shape(1, 2, 16, 10))).getShape())
                    .isEqualTo(new Shape(1, 2, 8, 5));
        }
    }
}
