package io.sara4j.cli;

import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The options every command that loads a diffusers folder shares. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "A diffusers-format model folder (model_index.json, unet/, text_encoder/, ...) (required).")
    Path model;

    @Option(names = "--dtype", defaultValue = "fp32", paramLabel = "TYPE",
            description = "Compute type: fp32 or fp16 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--variant", paramLabel = "NAME",
            description = "Weights variant to load, e.g. fp16 for *.fp16.safetensors (default: the standard file, or the only one present).")
    String variant;

    /** The compute type named by {@code --dtype}. */
    DataType computeType() {
        return switch (dtype.toLowerCase(Locale.ROOT)) {
            case "fp32", "float32" -> DataType.FLOAT32;
            case "fp16", "float16" -> DataType.FLOAT16;
            default -> throw new IllegalArgumentException("unsupported value '" + dtype + "' for --dtype (supported: fp32, fp16;"
                    + " bf16 weights load into either)");
        };
    }
}
