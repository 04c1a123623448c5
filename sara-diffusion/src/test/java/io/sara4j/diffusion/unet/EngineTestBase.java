package io.sara4j.diffusion.unet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** One engine manager per test, closed afterwards, and the float64 comparison used by the block tests. */
abstract class EngineTestBase {
    /** Largest error allowed relative to the largest reference magnitude (float32 vs float64). */
    static final double REL_TOL = 1e-5;

    NDManager manager;

    @BeforeEach
    void openManager() {
        manager = Engines.pytorch().newBaseManager();
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    /** Asserts shape equality and max|a − e| / max|e| ≤ {@link #REL_TOL}. */
    static void assertMatches(NDArray actual, Ref64.T expected) {
        assertThat(actual.getShape().getShape()).as("shape").containsExactly(expected.shape());
        double error = Tensors.maxRelativeError(Tensors.toDoubles(actual), expected.v());
        assertThat(error).as("max relative error").isLessThanOrEqualTo(REL_TOL);
    }
}
