package io.sara4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;

/**
 * The {@code sara} command: the entry point of the CLI.
 *
 * <p>Errors are reported as one line on stderr with a non-zero exit code (1 for a failed command,
 * 2 for bad usage); the stack trace is printed only with {@code --verbose}.
 */
@Command(name = "sara",
        mixinStandardHelpOptions = true,
        versionProvider = SaraMain.Version.class,
        description = "Fine-tune diffusion models with SaRA (progressive sparse low-rank adaptation).",
        subcommands = {InfoCommand.class, DemoCommand.class, AnalyzeCommand.class, TrainCommand.class, SampleCommand.class,
            MergeCommand.class, ExportLoraCommand.class, EvalCommand.class, ShapesCommand.class, CompareCommand.class, TrainClassifierCommand.class, PretrainCommand.class,
            io.sara4j.cli.bench.BenchCommand.class, io.sara4j.cli.bench.RankPenaltyBench.class, CommandLine.HelpCommand.class})
public final class SaraMain implements Runnable {
    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces and debug detail (default: off).")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code (testable without exiting the JVM). */
    public static int execute(String... args) {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        CommandLine cli = commandLine();
        return cli.execute(args);
    }

    /** The configured picocli command line (error handling included). */
    static CommandLine commandLine() {
        SaraMain root = new SaraMain();
        CommandLine cli = new CommandLine(root);
        addHelpOptions(cli);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (root.verbose) {
                ex.printStackTrace(err);
            }
            err.println("sara: error: " + describe(ex));
            err.flush();
            return 1;
        });
        cli.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("sara: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
            err.flush();
            return 2;
        });
        return cli;
    }

    /**
     * Gives every subcommand (and theirs) {@code -h}/{@code --help}, so {@code sara train --help}
     * answers with usage instead of "Missing required options". Added here rather than per class so
     * a new command cannot forget it.
     */
    private static void addHelpOptions(CommandLine cli) {
        for (CommandLine sub : cli.getSubcommands().values()) {
            CommandLine.Model.CommandSpec spec = sub.getCommandSpec();
            if (spec.findOption("--help") == null && spec.findOption("-h") == null) {
                spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                        .description("Show this help message and exit.").build());
            }
            addHelpOptions(sub);
        }
    }

    /** One line naming the failure: the message, or the exception type when there is none. */
    static String describe(Throwable ex) {
        String message = ex.getMessage();
        if (message == null || message.isBlank()) {
            return ex.getClass().getSimpleName();
        }
        // multi-line messages (a list of mismatched keys) stay whole; they are one report
        return message;
    }

    /** Reads the version stamped into the jar at build time. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = SaraMain.class.getResourceAsStream("/sara-version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {
                "sara4j " + p.getProperty("version", "unknown"),
                "DJL " + p.getProperty("djl", "unknown") + ", PyTorch " + p.getProperty("pytorch", "unknown") + " (CPU)",
                "Java " + System.getProperty("java.version")
            };
        }
    }
}
