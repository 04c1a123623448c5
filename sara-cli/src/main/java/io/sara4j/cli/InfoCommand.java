package io.sara4j.cli;

import ai.djl.engine.Engine;
import io.sara4j.core.nn.EngineGuard;
import io.sara4j.core.nn.EngineSelfCheck;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.NativeAllocator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code sara info}: the engine, its version and devices, the CPU and what the engine guard found
 * on it (docs/engine.md), and the JVM's memory limits.
 */
@Command(name = "info", description = "Show the tensor engine, CPU, engine self-check, allocator, threads and memory.")
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Engine engine = Engines.pytorch();
        EngineGuard guard = Engines.guard();
        PrintWriter out = spec.commandLine().getOut();
        out.printf("engine:     %s %s%n", engine.getEngineName(), engine.getVersion());
        out.printf("device:     %s (GPUs: %d)%n", engine.defaultDevice(), engine.getGpuCount());
        out.printf("offline:    %s%n", System.getProperty("ai.djl.offline"));
        out.printf("cpu:        %s%n", cpuModel());
        out.printf("cpu isa:    %s%n", instructionSets());
        out.printf("cpus:       %d%n", Runtime.getRuntime().availableProcessors());
        out.printf("oneDNN:     %s%n", guard.oneDnn());
        List<EngineSelfCheck.Case> raw = EngineSelfCheck.rawConvolutionDefects(engine);
        out.printf("conv guard: %s%n", raw.isEmpty()
                ? "engine convolutions right without it on this CPU (the guard stays on; it costs nothing here)"
                : "needed on this CPU: the engine's own convolution fails " + raw);
        out.printf("self-check: %s%n", guard.summary());
        out.printf("allocator:  %s%n", NativeAllocator.describe());
        out.printf("max heap:   %d MiB%n", Runtime.getRuntime().maxMemory() >> 20);
        out.flush();
        return 0;
    }

    /** The CPU's model name from /proc/cpuinfo, or the JVM's architecture name elsewhere. */
    private static String cpuModel() {
        return cpuinfoField("model name").orElse(System.getProperty("os.arch"));
    }

    /** The vector instruction sets this CPU reports that matter for libtorch's kernels. */
    private static String instructionSets() {
        String flags = cpuinfoField("flags").orElse("");
        Set<String> relevant = new TreeSet<>();
        for (String f : flags.split("\\s+")) {
            if (f.startsWith("avx") || f.equals("fma") || f.equals("amx_tile") || f.startsWith("sse4")) {
                relevant.add(f);
            }
        }
        return relevant.isEmpty() ? "unknown" : relevant.stream().collect(Collectors.joining(" "));
    }

    private static Optional<String> cpuinfoField(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(field)) {
                    return Optional.of(line.substring(colon + 1).trim());
                }
            }
        } catch (IOException | RuntimeException notLinux) {
            // not Linux: fall through
        }
        return Optional.empty();
    }
}
