package io.sara4j.cli;

import ai.djl.engine.Engine;
import io.sara4j.core.nn.Engines;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sara info}: the engine, its version and devices, and the JVM's memory limits. */
@Command(name = "info", description = "Show the tensor engine, devices, threads and memory limits.")
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Engine engine = Engines.pytorch();
        PrintWriter out = spec.commandLine().getOut();
        out.printf("engine:     %s %s%n", engine.getEngineName(), engine.getVersion());
        out.printf("device:     %s (GPUs: %d)%n", engine.defaultDevice(), engine.getGpuCount());
        out.printf("offline:    %s%n", System.getProperty("ai.djl.offline"));
        out.printf("cpus:       %d%n", Runtime.getRuntime().availableProcessors());
        out.printf("max heap:   %d MiB%n", Runtime.getRuntime().maxMemory() >> 20);
        out.flush();
        return 0;
    }
}
