package io.sara4j.diffusion.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SplitMix64Test {
    @Test
    void matchesThePublishedReferenceOutputs() {
        // Vigna's splitmix64.c with x = 0: the first outputs of the reference implementation.
        SplitMix64 zero = new SplitMix64(0);
        assertThat(zero.nextLong()).isEqualTo(0xe220a8397b1dcdafL);
        assertThat(zero.nextLong()).isEqualTo(0x6e789e6aa1b965f4L);
        assertThat(zero.nextLong()).isEqualTo(0x06c45d188009454fL);
        assertThat(new SplitMix64(42).nextLong()).isEqualTo(0xbdd732262feb6e95L);
    }

    @Test
    void boundedDrawsStayInRangeAndCoverIt() {
        SplitMix64 random = new SplitMix64(7);
        int[] counts = new int[6];
        for (int i = 0; i < 6000; i++) {
            counts[random.nextInt(6)]++;
        }
        // each face expected 1000 times; 5 standard deviations is about ±145
        for (int c : counts) {
            assertThat(c).isBetween(855, 1145);
        }
        for (int i = 0; i < 1000; i++) {
            assertThat(random.nextInt(3, 5)).isBetween(3, 5);
            assertThat(random.nextDouble()).isGreaterThanOrEqualTo(0.0).isLessThan(1.0);
        }
        assertThatThrownBy(() -> random.nextInt(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> random.nextInt(5, 4)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keyedStreamsAreReproducibleAndDistinct() {
        assertThat(SplitMix64.forKey(1, 2).nextLong()).isEqualTo(SplitMix64.forKey(1, 2).nextLong());
        long a = SplitMix64.forKey(1, 2).nextLong();
        assertThat(SplitMix64.forKey(1, 3).nextLong()).isNotEqualTo(a);
        assertThat(SplitMix64.forKey(2, 1).nextLong()).isNotEqualTo(a);
        // neighbouring keys must not give shifted copies of one stream
        SplitMix64 k0 = SplitMix64.forKey(9, 0);
        k0.nextLong();
        assertThat(k0.nextLong()).isNotEqualTo(SplitMix64.forKey(9, 1).nextLong());
    }

    @Test
    void permutationHoldsEveryIndexOnce() {
        int[] p = new SplitMix64(3).permutation(50);
        int[] sorted = p.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 50; i++) {
            assertThat(sorted[i]).isEqualTo(i);
        }
        assertThat(p).isNotEqualTo(sorted);
    }
}
