package io.sara4j.diffusion.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.core.peft.ExponentialMovingAverage;
import io.sara4j.core.peft.FineTuner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A run's resumable state in {@code <run>/checkpoint/}: {@code tuner.safetensors} (the tuner's
 * training state: values, index sets, optimizer moments, step) and {@code trainer.json} (the loop
 * settings it belongs to). Each file is written atomically, the tuner state first, so a run killed
 * at any moment leaves the previous checkpoint or the new one, never a torn one. The latest adapter
 * is written next to the folder as {@code <run>/adapter.safetensors}.
 */
final class Checkpoint {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Object> ADDED_LATER = Map.of("grad_accum", 1); // ema_decay: null

    private final Path runDir;
    private final TrainingConfig config;
    private final int dataSize;

    Checkpoint(Path runDir, TrainingConfig config, int dataSize) {
        this.runDir = runDir;
        this.config = config;
        this.dataSize = dataSize;
    }

    Path folder() {
        return runDir.resolve("checkpoint");
    }

    Path adapterFile() {
        return runDir.resolve("adapter.safetensors");
    }

    /** The adapter holding the moving average of the trained values. */
    Path emaAdapterFile() {
        return runDir.resolve("adapter-ema.safetensors");
    }

    private Path emaStateFile() {
        return folder().resolve("ema.safetensors");
    }

    private Path stateFile() {
        return folder().resolve("tuner.safetensors");
    }

    private Path settingsFile() {
        return folder().resolve("trainer.json");
    }

    /**
     * Loads the checkpoint into {@code tuner} when there is one and returns the step to continue
     * from (0 without a checkpoint).
     *
     * @throws IllegalArgumentException naming the setting when the checkpoint was made with other settings
     */
    long restore(FineTuner tuner) throws IOException {
        if (!Files.exists(stateFile())) {
            return 0;
        }
        if (!Files.exists(settingsFile())) {
            throw new IllegalArgumentException(settingsFile() + ": missing next to " + stateFile()
                    + "; delete " + folder() + " to start the run afresh");
        }
        JsonNode saved = JSON.readTree(settingsFile().toFile());
        settings().forEach((key, value) -> {
            // settings added later read as their defaults in a checkpoint written before they existed
            String found = saved.has(key) ? saved.get(key).asText() : String.valueOf(ADDED_LATER.get(key));
            if (!found.equals(String.valueOf(value))) {
                throw new IllegalArgumentException(settingsFile() + ": the checkpoint was made with " + key + " = " + found
                        + ", this run has " + value + "; use the same settings to resume, or another run folder");
            }
        });
        tuner.loadState(stateFile());
        return tuner.steps();
    }

    /**
     * Continues {@code ema} (may be null) from the checkpoint of a run resumed at {@code step}.
     *
     * @throws IllegalArgumentException when the run resumes at a step &gt; 0 without an EMA state
     *     (the checkpoint was made without --ema-decay) or the state does not fit
     */
    void restoreEma(ExponentialMovingAverage ema, long step) {
        if (ema == null || step == 0) {
            return;
        }
        if (!Files.exists(emaStateFile())) {
            throw new IllegalArgumentException(emaStateFile() + ": missing; the checkpoint was made without an EMA, so "
                    + "this run cannot continue one (drop --ema-decay or use another run folder)");
        }
        ema.loadState(emaStateFile());
    }

    /** Writes the tuner's state, the EMA's (when there is one), the settings and the current adapters. */
    void write(FineTuner tuner, ExponentialMovingAverage ema) throws IOException {
        Files.createDirectories(folder());
        tuner.saveState(stateFile());
        if (ema != null) {
            ema.saveState(emaStateFile());
        }
        AtomicFiles.writeString(settingsFile(), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(settings()));
        writeAdapter(tuner, ema);
    }

    void writeAdapter(FineTuner tuner, ExponentialMovingAverage ema) throws IOException {
        Files.createDirectories(runDir);
        tuner.save(adapterFile());
        if (ema != null) {
            ema.save(emaAdapterFile());
        }
    }

    /** The settings a checkpoint must share with the run that resumes it. */
    private Map<String, Object> settings() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("steps", config.steps());
        s.put("batch_size", config.batchSize());
        s.put("seed", config.seed());
        s.put("dataset_size", dataSize);
        s.put("grad_accum", config.gradAccum());
        s.put("ema_decay", config.emaDecay());
        return s;
    }
}
