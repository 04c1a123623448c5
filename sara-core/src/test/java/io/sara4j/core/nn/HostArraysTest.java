package io.sara4j.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostArraysTest {
    private static List<Float> readFloats(NDArray a) {
        List<Float> out = new ArrayList<>();
        HostArrays.readInPlace(a, DataType.FLOAT32, bytes -> {
            FloatBuffer f = bytes.asFloatBuffer();
            for (int i = 0; i < f.limit(); i++) {
                out.add(f.get(i));
            }
        });
        return out;
    }

    private static long live(NDManager m) {
        return m.getManagedArrays().stream().filter(a -> !a.isReleased()).count();
    }

    @Test
    void readInPlaceGivesTheValuesInRowMajorOrder() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            NDArray x = HostArrays.of(m, new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            assertThat(readFloats(x)).containsExactly(1f, 2f, 3f, 4f, 5f, 6f);
            // a transposed view is not contiguous: its row-major order is the transpose's
            assertThat(readFloats(x.transpose())).containsExactly(1f, 4f, 2f, 5f, 3f, 6f);
            // another type is converted by the engine first
            NDArray ints = HostArrays.of(m, new int[] {-7, 0, 9});
            assertThat(readFloats(ints)).containsExactly(-7f, 0f, 9f);
        }
    }

    @Test
    void readInPlaceLeavesNoArrayBehindAndTheSourceUnchanged() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            NDArray x = HostArrays.of(m, new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            NDArray t = x.transpose();
            long held = live(m);
            readFloats(t); // makes a contiguous copy, which must be freed again
            readFloats(x);
            assertThat(live(m)).isEqualTo(held);
            assertThat(x.toFloatArray()).containsExactly(1f, 2f, 3f, 4f, 5f, 6f);
        }
    }
}
