package io.sara4j.diffusion.training;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LossChartTest {
    @Test
    void movingAverageMatchesHandComputedMeans() {
        assertThat(LossChart.movingAverage(new double[] {1, 3, 5, 7}, 2)).containsExactly(1, 2, 4, 6);
        assertThat(LossChart.window(10)).isEqualTo(1);
        assertThat(LossChart.window(400)).isEqualTo(20);
    }
}
