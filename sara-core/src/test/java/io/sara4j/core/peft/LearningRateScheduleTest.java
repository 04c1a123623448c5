package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sara4j.core.peft.LearningRateSchedule.Kind;
import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {
    @Test
    void constantWithWarmup() {
        LearningRateSchedule s = new LearningRateSchedule(Kind.CONSTANT, 1.0, 4, 0);
        assertThat(new double[] {s.lr(0), s.lr(1), s.lr(2), s.lr(3), s.lr(4), s.lr(1000)})
                .containsExactly(0.25, 0.5, 0.75, 1.0, 1.0, 1.0);
    }

    @Test
    void linearDecaysToZeroAtTheEnd() {
        LearningRateSchedule s = new LearningRateSchedule(Kind.LINEAR, 2.0, 2, 10);
        assertThat(s.lr(0)).isEqualTo(1.0);
        assertThat(s.lr(2)).isEqualTo(2.0);
        assertThat(s.lr(6)).isEqualTo(1.0);   // half-way through the 8 decay steps
        assertThat(s.lr(10)).isEqualTo(0.0);
        assertThat(s.lr(50)).isEqualTo(0.0);
    }

    @Test
    void cosineFollowsHalfACosine() {
        LearningRateSchedule s = new LearningRateSchedule(Kind.COSINE, 1.0, 0, 100);
        assertThat(s.lr(0)).isEqualTo(1.0);
        assertThat(s.lr(50)).isCloseTo(0.5, within(1e-12));
        assertThat(s.lr(25)).isCloseTo(0.5 * (1 + Math.cos(Math.PI / 4)), within(1e-12));
        assertThat(s.lr(100)).isCloseTo(0.0, within(1e-12));
    }

    @Test
    void decayingSchedulesNeedAPlan() {
        assertThatThrownBy(() -> new LearningRateSchedule(Kind.COSINE, 1.0, 0, 0)).hasMessageContaining("totalSteps");
        assertThatThrownBy(() -> LearningRateSchedule.constant(-1)).hasMessageContaining("learning rate");
        assertThat(Kind.parse("Cosine")).isEqualTo(Kind.COSINE);
        assertThatThrownBy(() -> Kind.parse("step")).hasMessageContaining("supported: constant, linear, cosine");
    }

    @Test
    void optimizerConfigDefaultsToCosineOnlyWithAPlan() {
        assertThat(OptimizerConfig.defaults().resolvedScheduleKind()).isEqualTo(Kind.CONSTANT);
        assertThat(OptimizerConfig.defaults().withTotalSteps(10).resolvedScheduleKind()).isEqualTo(Kind.COSINE);
        assertThat(OptimizerConfig.defaults().schedule(3e-4).baseLearningRate()).isEqualTo(3e-4);
        assertThat(OptimizerConfig.defaults().withLearningRate(1e-2).schedule(3e-4).baseLearningRate()).isEqualTo(1e-2);
    }
}
