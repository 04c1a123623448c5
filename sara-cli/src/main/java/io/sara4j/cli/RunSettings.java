package io.sara4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.core.peft.FineTuner;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.training.TrainingConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code <run>/train-config.json}: the resolved configuration of a training run — every option of
 * the command with the value it had (defaults included, so a reader needs no help text), the
 * command line as typed, the loop's configuration as the trainer received it, and what the model
 * and method resolved to (prediction type, trainable count). Rewritten atomically by every
 * invocation, so after a resume it describes the latest one.
 */
final class RunSettings {
    static final String FILE = "train-config.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RunSettings() {}

    /**
     * Writes the file and returns its JSON, which the caller also hands to the tuner so that the
     * adapters carry it ({@link FineTuner#setTrainingRecord}).
     */
    static String write(Path runDir, CommandSpec spec, StableDiffusionPipeline pipeline, TrainingConfig config,
            FineTuner tuner) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("command", "sara " + spec.name() + " " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        root.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        ObjectNode options = root.putObject("options");
        for (OptionSpec option : spec.options()) {
            if (option.usageHelp() || option.versionHelp()) {
                continue;
            }
            Object value = option.getValue();
            options.set(option.longestName(), JSON.valueToTree(value instanceof Path p ? p.toAbsolutePath().toString() : value));
        }
        root.set("training", JSON.valueToTree(config));
        ObjectNode resolved = root.putObject("resolved");
        resolved.put("scheduler_prediction_type", pipeline.schedulerConfig().predictionType().name().toLowerCase());
        resolved.put("trained_prediction_type", config.loss().predictionType() == null
                ? pipeline.schedulerConfig().predictionType().name().toLowerCase()
                : config.loss().predictionType().name().toLowerCase());
        resolved.put("unet_parameters", pipeline.unet().parameterCount());
        resolved.put("trainable_values", tuner.trainableCount());
        Files.createDirectories(runDir);
        String json = JSON.writeValueAsString(root);
        AtomicFiles.writeString(runDir.resolve(FILE), json);
        return json;
    }
}
