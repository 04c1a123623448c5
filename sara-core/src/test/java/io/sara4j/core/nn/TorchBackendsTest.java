package io.sara4j.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.types.Shape;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/** The backend switches reach libtorch, and libtorch's own kernels are right where oneDNN's are not. */
class TorchBackendsTest {
    @Test
    void theEngineStartSwitchesNnpackOff() {
        Engines.pytorch();
        assertThat(TorchBackends.isNnpackEnabled()).isFalse();
    }

    @Test
    void switchingOffGivesTheReferenceKernelsAndSwitchingOnRestores() {
        Engine engine = Engines.pytorch();
        boolean before = TorchBackends.isOneDnnEnabled();
        try (NDManager manager = engine.newBaseManager()) {
            TorchBackends.setOneDnnEnabled(false);
            assertThat(TorchBackends.isOneDnnEnabled()).isFalse();
            // the unguarded convolution at the geometries that break oneDNN on Zen 5
            EngineSelfCheck.Case backward = EngineSelfCheck.check(engine, manager, "raw 64→4",
                    in -> Conv2d.rawConv2d(in[0], in[1], in[2], 1, 1, 1, 1),
                    new Shape(2, 64, 8, 8), new Shape(4, 64, 3, 3), new Shape(4));
            EngineSelfCheck.Case forward = EngineSelfCheck.check(engine, manager, "raw 24→16",
                    in -> Conv2d.rawConv2d(in[0], in[1], in[2], 1, 1, 1, 1),
                    new Shape(2, 24, 8, 8), new Shape(16, 24, 3, 3), new Shape(16));
            assertThat(backward.passed()).as(backward.toString()).isTrue();
            assertThat(forward.passed()).as(forward.toString()).isTrue();
            TorchBackends.setOneDnnEnabled(true);
            assertThat(TorchBackends.isOneDnnEnabled()).isTrue();
        } finally {
            TorchBackends.setOneDnnEnabled(before);
        }
    }
}
