package io.sara4j.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The start-up decision of {@link EngineGuard}, with stand-ins for the check and the oneDNN switch. */
class EngineGuardTest {
    private static EngineSelfCheck.Result result(double... errors) {
        List<EngineSelfCheck.Case> cases = new java.util.ArrayList<>();
        for (int i = 0; i < errors.length; i++) {
            cases.add(new EngineSelfCheck.Case("case " + i, errors[i]));
        }
        return new EngineSelfCheck.Result(cases, 3);
    }

    private static EngineGuard establish(AtomicInteger switches, EngineSelfCheck.Result... results) {
        Deque<EngineSelfCheck.Result> queue = new ArrayDeque<>(List.of(results));
        return EngineGuard.establish(queue::pop, switches::incrementAndGet);
    }

    @Test
    void aPassingCheckLeavesOneDnnOn() {
        AtomicInteger switches = new AtomicInteger();
        EngineGuard guard = establish(switches, result(1e-7, 2e-7));
        assertThat(switches).hasValue(0);
        assertThat(guard.trustworthy()).isTrue();
        assertThat(guard.oneDnnSwitchedOff()).isFalse();
        assertThat(guard.summary()).startsWith("passed (2 cases, worst relative error 2.0e-07");
    }

    @Test
    void aFailureSwitchesOneDnnOffAndChecksAgain() {
        AtomicInteger switches = new AtomicInteger();
        EngineGuard guard = establish(switches, result(1e-7, 0.38), result(1e-7, 2e-7));
        assertThat(switches).hasValue(1);
        assertThat(guard.trustworthy()).isTrue();
        assertThat(guard.oneDnnSwitchedOff()).isTrue();
        assertThat(guard.summary()).contains("passed after switching oneDNN off").contains("case 1 3.8e-01");
    }

    @Test
    void nanCountsAsAFailure() {
        AtomicInteger switches = new AtomicInteger();
        EngineGuard guard = establish(switches, result(Double.NaN), result(Double.NaN));
        assertThat(switches).hasValue(1);
        assertThat(guard.trustworthy()).isFalse();
        assertThat(guard.summary()).startsWith("FAILED").contains("oneDNN already switched off");
    }

    @Test
    void aFailedSwitchLeavesTheEngineUntrusted() {
        Deque<EngineSelfCheck.Result> queue = new ArrayDeque<>(List.of(result(0.5)));
        EngineGuard guard = EngineGuard.establish(queue::pop, () -> {
            throw new UnsatisfiedLinkError("no such symbol");
        });
        assertThat(guard.trustworthy()).isFalse();
        assertThat(guard.oneDnnSwitchedOff()).isFalse();
        assertThat(guard.summary()).startsWith("FAILED").contains("case 0 5.0e-01");
    }

    @Test
    void thisEnginePassesItsOwnCheck() {
        EngineGuard guard = Engines.guard();
        assertThat(guard.trustworthy()).as(guard.summary()).isTrue();
        assertThat(guard.check().cases()).extracting(EngineSelfCheck.Case::name)
                .contains("conv 64→4 3×3", "conv 40→8 3×3", "linear 96→40", "group norm 48/8", "attention 64×77");
    }
}
