package io.sara4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * One command-line invocation in a test: its exit code and everything it printed.
 *
 * @param code the exit code
 * @param out what it printed on standard output
 * @param err what it printed on standard error
 */
public record CliRun(int code, String out, String err) {

    /** Runs {@code sara args...} as the launcher would, capturing both streams. */
    public static CliRun sara(String... args) {
        return execute(SaraMain.commandLine(), args);
    }

    /** Runs {@code cli} with {@code args}, capturing both streams. */
    public static CliRun execute(CommandLine cli, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }
}
