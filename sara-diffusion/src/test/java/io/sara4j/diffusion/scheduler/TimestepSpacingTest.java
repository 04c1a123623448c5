package io.sara4j.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TimestepSpacingTest {
    @Test
    void leadingStartsAtZeroPlusOffset() {
        assertThat(TimestepSpacing.LEADING.timesteps(1000, 10, 1, true))
                .containsExactly(901, 801, 701, 601, 501, 401, 301, 201, 101, 1);
        assertThat(TimestepSpacing.LEADING.timesteps(1000, 3, 0, true)).containsExactly(666, 333, 0);
    }

    @Test
    void trailingEndsAtTheLastTrainingStep() {
        assertThat(TimestepSpacing.TRAILING.timesteps(1000, 10, 1, true))
                .containsExactly(999, 899, 799, 699, 599, 499, 399, 299, 199, 99);
        // 1000 − k·333.33…: 1000, 666.67, 333.33 → rounded, minus one
        assertThat(TimestepSpacing.TRAILING.timesteps(1000, 3, 0, true)).containsExactly(999, 666, 332);
        // numpy's arange would give 62 values here (a trailing −1); exactly n are returned.
        assertThat(TimestepSpacing.TRAILING.timesteps(1000, 61, 0, true)).hasSize(61).doesNotContain(-1);
    }

    @Test
    void linspaceCoversZeroToTMinusOne() {
        assertThat(TimestepSpacing.LINSPACE.timesteps(1000, 10, 1, true))
                .containsExactly(999, 888, 777, 666, 555, 444, 333, 222, 111, 0);
        // 999/6 = 166.5: fractional for Euler, rounded half to even for DDIM
        assertThat(TimestepSpacing.LINSPACE.timesteps(1000, 7, 0, false))
                .containsExactly(999, 832.5, 666, 499.5, 333, 166.5, 0);
        assertThat(TimestepSpacing.LINSPACE.timesteps(1000, 7, 0, true))
                .containsExactly(999, 832, 666, 500, 333, 166, 0);
        assertThat(TimestepSpacing.LINSPACE.timesteps(1000, 1, 0, true)).containsExactly(0);
    }

    @Test
    void stepCountMustFitTheTrainingSteps() {
        assertThatThrownBy(() -> TimestepSpacing.LEADING.timesteps(1000, 0, 0, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1, 1000]");
        assertThatThrownBy(() -> TimestepSpacing.LEADING.timesteps(1000, 1001, 0, true))
                .hasMessageContaining("got 1001");
    }
}
