package io.sara4j.diffusion.pretrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossSummaryTest {
    @TempDir
    Path dir;

    @Test
    void meansOverEachTenthOfTheRun() throws Exception {
        StringBuilder csv = new StringBuilder("step,loss,penalty,lr,grad_norm,seconds_per_step\n");
        for (int step = 1; step <= 20; step++) {
            csv.append(step).append(',').append(step).append(",0,0.001,1,0.5\n"); // loss = step
        }
        Path file = Files.writeString(dir.resolve("losses.csv"), csv);
        LossSummary s = LossSummary.of(file);
        assertThat(s.steps()).isEqualTo(20);
        assertThat(s.firstLoss()).isEqualTo(1);
        assertThat(s.meanByTenth()).hasSize(10);
        for (int p = 0; p < 10; p++) {
            assertThat(s.meanByTenth().get(p)).isCloseTo(2 * p + 1.5, within(1e-12)); // mean of 2p+1, 2p+2
        }
    }

    @Test
    void shortRunsAndBadRows() throws Exception {
        Path three = Files.writeString(dir.resolve("a.csv"), "step,loss\n1,3\n2,2\n3,1\n");
        assertThat(LossSummary.of(three).meanByTenth()).containsExactly(3.0, 2.0, 1.0);
        Path bad = Files.writeString(dir.resolve("b.csv"), "step,loss\n1,x\n");
        assertThatThrownBy(() -> LossSummary.of(bad)).hasMessageContaining("b.csv:2").hasMessageContaining("'x'");
        Path empty = Files.writeString(dir.resolve("c.csv"), "step,loss\n");
        assertThatThrownBy(() -> LossSummary.of(empty)).hasMessageContaining("no loss rows");
    }
}
