package io.sara4j.cli;

import io.sara4j.core.nn.Engines;
import java.util.Locale;

/** The {@code --device} option: which device a command may run on, checked before any work. */
final class Devices {
    private Devices() {}

    /**
     * Accepts {@code cpu}; refuses {@code gpu} with what is missing.
     *
     * @throws IllegalArgumentException for gpu and for anything else, naming the option
     */
    static void require(String device) {
        switch (device.toLowerCase(Locale.ROOT)) {
            case "cpu" -> { }
            case "gpu", "cuda" -> {
                int gpus = Engines.pytorch().getGpuCount();
                if (gpus == 0) {
                    throw new IllegalArgumentException("--device gpu: no CUDA device is usable here. This installation runs"
                            + " libtorch's CPU build (ai.djl.pytorch:pytorch-native-cpu); GPU training needs an NVIDIA driver"
                            + " and the CUDA build of libtorch 2.7.1 in its place. Use --device cpu.");
                }
                throw new IllegalArgumentException("--device gpu: " + gpus + " CUDA device(s) found, but sara4j does not"
                        + " place models on a GPU yet. Use --device cpu.");
            }
            default -> throw new IllegalArgumentException("unsupported value '" + device + "' for --device (supported: cpu, gpu)");
        }
    }
}
