package io.sara4j.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class BetaScheduleTest {
    @Test
    void linearIsEvenlySpacedBetweenTheEnds() {
        double[] b = BetaSchedule.LINEAR.betas(5, 0.1, 0.5);
        assertThat(b).containsExactly(new double[] {0.1, 0.2, 0.3, 0.4, 0.5}, within(1e-15));
    }

    @Test
    void scaledLinearIsEvenlySpacedInSquareRoot() {
        double[] b = BetaSchedule.SCALED_LINEAR.betas(3, 0.01, 0.09);
        // √β = 0.1, 0.2, 0.3
        assertThat(b).containsExactly(new double[] {0.01, 0.04, 0.09}, within(1e-15));
        double[] sd = BetaSchedule.SCALED_LINEAR.betas(1000, 0.00085, 0.012);
        assertThat(sd).containsExactly(Float64Reference.scaledLinearBetas(), within(1e-15));
    }

    @Test
    void squaredCosineFollowsNicholDhariwal() {
        int n = 1000;
        double[] b = BetaSchedule.SQUAREDCOS_CAP_V2.betas(n, 0.0001, 0.02);
        for (int i : new int[] {0, 1, 500, 998}) {
            double f1 = Math.pow(Math.cos((i / (double) n + 0.008) / 1.008 * Math.PI / 2), 2);
            double f2 = Math.pow(Math.cos(((i + 1) / (double) n + 0.008) / 1.008 * Math.PI / 2), 2);
            assertThat(b[i]).as("beta[%d]", i).isCloseTo(1 - f2 / f1, within(1e-14));
        }
        // ᾱ(1) = cos²(π/2) = 0, so the last beta is capped.
        assertThat(b[n - 1]).isEqualTo(0.999);
    }
}
