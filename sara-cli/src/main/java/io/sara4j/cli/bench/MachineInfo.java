package io.sara4j.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The machine a benchmark ran on, as far as it changes the figures: CPU model, the cores this JVM
 * may use, installed memory, the OS and the JVM; and the load average, because on a shared machine
 * every timing is only as good as the idle cores behind it.
 *
 * @param cpu the CPU model name ({@code /proc/cpuinfo})
 * @param cores processors available to the JVM
 * @param memoryGiB installed memory ({@code MemTotal} of {@code /proc/meminfo})
 * @param os OS name, version and architecture
 * @param java the Java runtime version and vendor
 */
public record MachineInfo(String cpu, int cores, double memoryGiB, String os, String java) {

    /** This machine. */
    public static MachineInfo current() {
        String cpu = firstValue(Path.of("/proc/cpuinfo"), "model name");
        String mem = firstValue(Path.of("/proc/meminfo"), "MemTotal");
        double memGiB = mem.endsWith(" kB") ? Long.parseLong(mem.substring(0, mem.length() - 3).trim()) / (1024.0 * 1024) : 0;
        return new MachineInfo(cpu, Runtime.getRuntime().availableProcessors(), memGiB,
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
    }

    /** The 1, 5 and 15 minute load averages ({@code /proc/loadavg}), or "unknown". */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | ArrayIndexOutOfBoundsException e) {
            return "unknown";
        }
    }

    /** The value after the colon of the first line starting with {@code key}, or "unknown". */
    private static String firstValue(Path file, String key) {
        try {
            List<String> lines = Files.readAllLines(file);
            for (String line : lines) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                    return line.substring(colon + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux: the report says unknown
        }
        return "unknown";
    }
}
