package io.sara4j.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** {@link EngineSelfCheck} finds wrong results, and passes right ones. */
class EngineSelfCheckTest {
    private final Engine engine = Engines.pytorch();

    @Test
    void aRightComputationPassesWithFloat32RoundingError() {
        try (NDManager manager = engine.newBaseManager()) {
            EngineSelfCheck.Case c = EngineSelfCheck.check(engine, manager, "linear",
                    in -> Linear.linear(in[0], in[1], in[2]), new Shape(3, 20), new Shape(7, 20), new Shape(7));
            assertThat(c.error()).isGreaterThan(0).isLessThan(1e-6);
            assertThat(c.passed()).isTrue();
        }
    }

    @Test
    void aWrongForwardIsCaught() {
        try (NDManager manager = engine.newBaseManager()) {
            // float32 alone is off by one part in 1,000: what a broken kernel would look like
            EngineSelfCheck.Case c = EngineSelfCheck.check(engine, manager, "off",
                    in -> in[0].getDataType() == DataType.FLOAT32 ? in[0].mul(in[1]).mul(in[2]) : in[0].mul(in[1]),
                    new Shape(4, 5), new Shape(4, 5), new Shape(1));
            assertThat(c.passed()).isFalse();
        }
    }

    @Test
    void aWrongGradientIsCaughtEvenWhenTheForwardIsRight() {
        try (NDManager manager = engine.newBaseManager()) {
            // y = x·w in value, but in float32 the gradient of x is routed through w twice
            EngineSelfCheck.Case c = EngineSelfCheck.check(engine, manager, "gradient",
                    in -> {
                        NDArray y = in[0].mul(in[1]);
                        if (in[0].getDataType() == DataType.FLOAT32) {
                            NDArray bump = in[0].mul(in[1]).sub(in[0].mul(in[1]).stopGradient());
                            return y.add(bump);
                        }
                        return y;
                    },
                    new Shape(6), new Shape(6));
            assertThat(c.passed()).isFalse();
        }
    }

    @Test
    void nanFails() {
        assertThat(new EngineSelfCheck.Case("nan", Double.NaN).passed()).isFalse();
        EngineSelfCheck.Result r = new EngineSelfCheck.Result(java.util.List.of(new EngineSelfCheck.Case("nan", Double.NaN)), 1);
        assertThat(r.passed()).isFalse();
        assertThat(r.worstError()).isInfinite();
    }
}
