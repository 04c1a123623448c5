package io.sara4j.diffusion.testing;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The fixture of tests that use the engine: one manager per test, closed afterwards (with every
 * array the test made in it), and the float64 comparison used by the block tests.
 */
public abstract class EngineTestBase {
    /** Largest error allowed relative to the largest reference magnitude (float32 vs float64). */
    protected static final double REL_TOL = 1e-5;

    /** The test's manager; parameters and inputs live here. */
    protected NDManager manager;

    @BeforeEach
    void openManager() {
        manager = Engines.pytorch().newBaseManager();
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    /** Asserts shape equality and max|a − e| / max|e| ≤ {@link #REL_TOL}. */
    protected static void assertMatches(NDArray actual, Ref64 expected) {
        assertThat(actual.getShape().getShape()).as("shape")
                .containsExactly(Arrays.stream(expected.shape()).asLongStream().toArray());
        double error = Tensors.maxRelativeError(Tensors.toDoubles(actual), expected.v());
        assertThat(error).as("max relative error").isLessThanOrEqualTo(REL_TOL);
    }
}
