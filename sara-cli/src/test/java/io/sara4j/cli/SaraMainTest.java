package io.sara4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

class SaraMainTest {
    private static CliRun run(CommandLine cli, String... args) {
        return CliRun.execute(cli, args);
    }

    @Test
    void helpListsSubcommands() {
        CliRun r = run(SaraMain.commandLine(), "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: sara", "info", "demo", "bench-rank", "--version", "--verbose");
    }

    /** Every subcommand, present and future (hidden ones too), answers -h and --help with its usage. */
    @Test
    void everyCommandAnswersHelpWithExitCodeZero() {
        java.util.Set<String> names = SaraMain.commandLine().getSubcommands().keySet();
        assertThat(names).contains("train", "demo", "eval");
        for (String name : names) {
            for (String flag : new String[] {"--help", "-h"}) {
                CliRun r = run(SaraMain.commandLine(), name, flag);
                assertThat(r.code()).as(name + " " + flag + ": " + r.err()).isZero();
                assertThat(r.out()).as(name + " " + flag).contains("Usage: sara " + name);
                assertThat(r.err()).as(name + " " + flag).isEmpty();
            }
        }
    }

    @Test
    void versionNamesEngine() {
        CliRun r = run(SaraMain.commandLine(), "--version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("sara4j", "DJL 0.36.0", "PyTorch 2.7.1");
    }

    @Test
    void unknownOptionIsOneLineUsageErrorWithCode2() {
        CliRun r = run(SaraMain.commandLine(), "--no-such-option");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("sara: Unknown option: '--no-such-option'").doesNotContain("at io.sara4j");
    }

    @Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalArgumentException("file x.safetensors: tensor 'w' expected F32, found I8");
        }
    }

    @Test
    void failureIsOneLineUnlessVerbose() {
        CommandLine cli = SaraMain.commandLine();
        cli.addSubcommand("boom", new Boom());
        CliRun quiet = run(cli, "boom");
        assertThat(quiet.code()).isEqualTo(1);
        assertThat(quiet.err().strip()).isEqualTo("sara: error: file x.safetensors: tensor 'w' expected F32, found I8");

        CommandLine cli2 = SaraMain.commandLine();
        cli2.addSubcommand("boom", new Boom());
        CliRun verbose = run(cli2, "--verbose", "boom");
        assertThat(verbose.code()).isEqualTo(1);
        assertThat(verbose.err()).contains("at io.sara4j.cli.SaraMainTest$Boom.call", "sara: error: file x.safetensors");
    }

    @Test
    void infoReportsOfflineEngine() {
        System.setProperty("ai.djl.offline", "true");
        CliRun r = run(SaraMain.commandLine(), "info");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("engine:     PyTorch", "offline:    true", "cpu isa:", "oneDNN:     ",
                "self-check: passed (5 cases", "allocator:  glibc", "conv guard:");
    }
}
