package io.sara4j.cli.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a class's {@code main} in a new JVM with the same java binary and class path as this one,
 * and the JVM options that shape memory and behaviour (heap size, {@code -XX}, {@code -D}); debug
 * agents and the like are not passed on.
 */
final class ChildJvm {
    private ChildJvm() {}

    /** The command line that runs {@code mainClass} with {@code args} and {@code extraOptions} (e.g. {@code -Dx=y}). */
    static List<String> command(Class<?> mainClass, List<String> extraOptions, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (option.startsWith("-Xm") || option.startsWith("-Xss") || option.startsWith("-XX:") || option.startsWith("-D")) {
                cmd.add(option);
            }
        }
        cmd.addAll(extraOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(args);
        return cmd;
    }

    /**
     * Runs {@code command} to completion with stdout and stderr going to {@code log}.
     *
     * @return the exit code (128 + n when the process was killed by signal n)
     */
    static int run(List<String> command, Path log) throws IOException, InterruptedException {
        Files.createDirectories(log.toAbsolutePath().getParent());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly(); // an interrupted bench must not leave a training JVM behind
            throw e;
        }
    }

    /** What an exit code without a result file means, for the failure row. */
    static String describeExit(int code, Path log) {
        String last = "";
        try {
            List<String> lines = Files.readAllLines(log);
            for (int i = lines.size() - 1; i >= 0 && last.isEmpty(); i--) {
                last = lines.get(i).strip();
            }
        } catch (IOException e) {
            last = "(no log: " + e.getMessage() + ")";
        }
        String why = switch (code) {
            case 137 -> "killed (SIGKILL: the kernel's out-of-memory killer, most likely)";
            case 134 -> "aborted (SIGABRT: a native crash)";
            case 139 -> "crashed (SIGSEGV)";
            default -> "exited with status " + code;
        };
        return why + "; last log line: " + (last.isEmpty() ? "(empty)" : last) + "; log " + log;
    }
}
