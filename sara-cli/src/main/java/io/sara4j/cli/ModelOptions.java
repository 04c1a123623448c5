package io.sara4j.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.sara4j.diffusion.loading.SingleFileCheckpoint;
import io.sara4j.diffusion.loading.SingleFileOptions;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.scheduler.PredictionType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/** The options every command that loads a model (diffusers folder or single-file checkpoint) shares. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "A diffusers-format model folder (model_index.json, unet/, text_encoder/, ...) or a"
                    + " single-file checkpoint (.safetensors in the original latent-diffusion layout, SD1.x or"
                    + " SD2.x; see docs/diffusion.md) (required).")
    Path model;

    @Option(names = "--dtype", defaultValue = "fp32", paramLabel = "TYPE",
            description = "Compute type: fp32 or fp16 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--variant", paramLabel = "NAME",
            description = "Weights variant to load, e.g. fp16 for *.fp16.safetensors (default: the standard file, or the only one present).")
    String variant;

    @Option(names = "--config", paramLabel = "DIR",
            description = "With a single-file --model: a diffusers folder of the same architecture whose component"
                    + " configs, tokenizer/ and scheduler/ are used instead of the inferred or bundled ones"
                    + " (default: none).")
    Path config;

    @Option(names = "--prediction-type", paramLabel = "TYPE",
            description = "What the model predicts: epsilon or v_prediction (default: the model's scheduler config;"
                    + " for a single file without one, v_prediction for SD2.x and epsilon for SD1.x).")
    String predictionType;

    /** The compute type named by {@code --dtype}. */
    DataType computeType() {
        return switch (dtype.toLowerCase(Locale.ROOT)) {
            case "fp32", "float32" -> DataType.FLOAT32;
            case "fp16", "float16" -> DataType.FLOAT16;
            default -> throw new IllegalArgumentException("unsupported value '" + dtype + "' for --dtype (supported: fp32, fp16;"
                    + " bf16 weights load into either)");
        };
    }

    /** Whether {@code --model} names a single-file checkpoint rather than a folder. */
    boolean singleFile() {
        return SingleFileCheckpoint.isSingleFile(model);
    }

    /** Loads {@code --model} (folder or single file) in the compute type. */
    StableDiffusionPipeline load(NDManager manager) throws IOException {
        if (!singleFile() && config != null) {
            throw new IllegalArgumentException("--config applies to a single-file --model only; " + model
                    + " is a folder");
        }
        if (singleFile() && variant != null) {
            throw new IllegalArgumentException("--variant applies to a diffusers folder only; " + model
                    + " is a single file (its weights are converted to --dtype)");
        }
        PredictionType prediction = predictionType == null ? null : PredictionType.fromName(predictionType);
        StableDiffusionPipeline pipeline = StableDiffusionPipeline.load(model, variant,
                new SingleFileOptions(config, prediction), manager, computeType());
        return prediction == null ? pipeline : pipeline.withPredictionType(prediction);
    }
}
