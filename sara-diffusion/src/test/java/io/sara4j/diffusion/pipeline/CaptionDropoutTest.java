package io.sara4j.diffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class CaptionDropoutTest {
    private static int dropped(CaptionDropout dropout, int steps, int batch) {
        int count = 0;
        for (long step = 0; step < steps; step++) {
            for (int i = 0; i < batch; i++) {
                count += dropout.drops(step, i) ? 1 : 0;
            }
        }
        return count;
    }

    @Test
    void probabilityZeroKeepsEveryCaptionAndOneDropsEvery() {
        assertThat(dropped(new CaptionDropout(0, 1), 500, 8)).isZero();
        assertThat(dropped(new CaptionDropout(1, 1), 500, 8)).isEqualTo(4000);
        assertThat(new CaptionDropout(0, 1).apply("a red circle", 3, 0)).isEqualTo("a red circle");
        assertThat(new CaptionDropout(1, 1).apply("a red circle", 3, 0)).isEmpty();
    }

    @Test
    void dropRateIsTheProbability() {
        // 20000 draws: the standard error of the rate is √(0.3·0.7/20000) ≈ 0.0032
        assertThat(dropped(new CaptionDropout(0.3, 42), 2500, 8) / 20000.0).isCloseTo(0.3, within(0.015));
        assertThat(dropped(new CaptionDropout(0.05, 7), 2500, 8) / 20000.0).isCloseTo(0.05, within(0.008));
    }

    @Test
    void choiceIsAFunctionOfSeedStepAndIndex() {
        CaptionDropout a = new CaptionDropout(0.5, 9);
        CaptionDropout b = new CaptionDropout(0.5, 9);
        CaptionDropout other = new CaptionDropout(0.5, 10);
        int sameAsOtherSeed = 0;
        int sameAsNextStep = 0;
        for (long step = 0; step < 200; step++) {
            for (int i = 0; i < 4; i++) {
                assertThat(a.drops(step, i)).isEqualTo(b.drops(step, i));
                sameAsOtherSeed += a.drops(step, i) == other.drops(step, i) ? 1 : 0;
                sameAsNextStep += a.drops(step, i) == a.drops(step + 1, i) ? 1 : 0;
            }
        }
        // another seed, or the next step, agrees only by chance (about half of 800)
        assertThat(sameAsOtherSeed).isBetween(300, 500);
        assertThat(sameAsNextStep).isBetween(300, 500);
        // asking again, in any order, gives the same answer
        assertThat(a.drops(150, 3)).isEqualTo(b.drops(150, 3));
    }

    @Test
    void probabilityOutsideTheUnitIntervalIsRefused() {
        assertThatThrownBy(() -> new CaptionDropout(-0.1, 0)).hasMessageContaining("[0, 1]");
        assertThatThrownBy(() -> new CaptionDropout(1.5, 0)).hasMessageContaining("[0, 1]");
        assertThatThrownBy(() -> new CaptionDropout(Double.NaN, 0)).hasMessageContaining("[0, 1]");
    }
}
