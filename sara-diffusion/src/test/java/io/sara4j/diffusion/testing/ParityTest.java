package io.sara4j.diffusion.testing;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The shared parity criterion passes inside 1e-4 + 1e-4·|e| and fails outside it, and on NaN. */
class ParityTest extends EngineTestBase {
    @Test
    void acceptsErrorsInsideTheToleranceAndNamesTheWorstOutside() {
        Parity.assertClose("inside", manager.create(new float[] {1.00015f, -1000.09f}),
                manager.create(new float[] {1f, -1000f}));
        assertThatThrownBy(() -> Parity.assertClose("outside", manager.create(new float[] {1f, 2.001f, 3f}),
                manager.create(new float[] {1f, 2f, 3f})))
                .isInstanceOf(AssertionError.class).hasMessageStartingWith("outside[1] = 2.000999");
        assertThatThrownBy(() -> Parity.assertClose("nan", manager.create(new float[] {0f, Float.NaN}),
                manager.create(new float[] {0f, 0f})))
                .isInstanceOf(AssertionError.class).hasMessageStartingWith("nan[1] = NaN");
        assertThatThrownBy(() -> Parity.assertClose("shape", manager.create(new float[] {1f, 2f}),
                manager.create(new float[] {1f, 2f, 3f})))
                .isInstanceOf(AssertionError.class).hasMessageContaining("shape of shape");
    }
}
