package io.sara4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --adapter FILE [--scale ALPHA]}, repeatable: adapters and the scale of each. */
final class AdapterOptions {
    @Option(names = "--adapter", paramLabel = "FILE", description = "Adapter file to apply (repeatable).")
    List<Path> adapters = new ArrayList<>();

    @Option(names = "--scale", paramLabel = "ALPHA",
            description = "Scale of each adapter, in order (1.0 for adapters without one).")
    List<Double> scales = new ArrayList<>();

    /** One scale per adapter: the given ones in order, 1.0 for the rest. */
    List<Double> alphas() {
        if (scales.size() > adapters.size()) {
            throw new IllegalArgumentException(scales.size() + " --scale values for " + adapters.size() + " --adapter files");
        }
        List<Double> alphas = new ArrayList<>(scales);
        while (alphas.size() < adapters.size()) {
            alphas.add(1.0);
        }
        return alphas;
    }
}
