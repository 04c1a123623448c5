package io.sara4j.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SpreadTest {
    @Test
    void quantilesInterpolateLikeNumpy() {
        // numpy.percentile([4, 1, 3, 2, 5], [0, 10, 50, 90, 100]) = [1, 1.4, 3, 4.6, 5]
        Spread s = Spread.of(new double[] {4, 1, 3, 2, 5});
        assertThat(s.min()).isEqualTo(1);
        assertThat(s.p10()).isCloseTo(1.4, within(1e-12));
        assertThat(s.median()).isEqualTo(3);
        assertThat(s.p90()).isCloseTo(4.6, within(1e-12));
        assertThat(s.max()).isEqualTo(5);
    }

    @Test
    void anEvenCountHasTheMeanOfTheMiddlePairAsMedianAndOneSampleIsEverything() {
        assertThat(Spread.of(new double[] {0.5, 0.1, 0.3, 0.9}).median()).isCloseTo(0.4, within(1e-12));
        assertThat(Spread.of(new double[] {2.5})).isEqualTo(new Spread(2.5, 2.5, 2.5, 2.5, 2.5));
    }

    @Test
    void oneSlowStepMovesTheMaximumNotTheMedian() {
        double[] steps = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 50};
        assertThat(Spread.of(steps).median()).isEqualTo(1);
        assertThat(Spread.of(steps).max()).isEqualTo(50);
    }

    @Test
    void noSamplesIsAnError() {
        assertThatThrownBy(() -> Spread.of(new double[0])).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no samples");
    }
}
