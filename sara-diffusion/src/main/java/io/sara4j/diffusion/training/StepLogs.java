package io.sara4j.diffusion.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.core.nn.ProcessMemory;
import io.sara4j.core.peft.StepReport;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToLongFunction;

/**
 * The per-step logs of a run folder, one row per optimizer step:
 * <ul>
 *   <li>{@code losses.csv}: step, loss, penalty, lr, grad_norm, seconds_per_step (the run's pace);</li>
 *   <li>{@code steps.jsonl}: one JSON object per line with step, loss, penalty, lr, grad_norm,
 *       trainable, step_seconds (this step alone) and rss_mib (the process's resident memory after
 *       the step, as the OS counts it).</li>
 * </ul>
 * A resumed run first drops the rows after its checkpoint, which the resumed steps write again.
 */
final class StepLogs implements AutoCloseable {
    static final String CSV_HEADER = "step,loss,penalty,lr,grad_norm,seconds_per_step";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BufferedWriter csv;
    private final BufferedWriter jsonl;

    private StepLogs(BufferedWriter csv, BufferedWriter jsonl) {
        this.csv = csv;
        this.jsonl = jsonl;
    }

    /** Opens both logs in {@code runDir} for appending after step {@code resumeStep}. */
    static StepLogs open(Path runDir, long resumeStep) throws IOException {
        BufferedWriter csv = reopen(runDir.resolve("losses.csv"), resumeStep, CSV_HEADER, StepLogs::csvStep);
        BufferedWriter jsonl = reopen(runDir.resolve("steps.jsonl"), resumeStep, null, StepLogs::jsonStep);
        return new StepLogs(csv, jsonl);
    }

    /**
     * Rewrites {@code file} keeping the header and the rows of steps ≤ {@code resumeStep} (none for
     * a fresh run), and returns a writer appending to it.
     */
    private static BufferedWriter reopen(Path file, long resumeStep, String header, ToLongFunction<String> stepOf)
            throws IOException {
        List<String> kept = new ArrayList<>();
        if (header != null) {
            kept.add(header);
        }
        if (resumeStep > 0 && Files.exists(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                long step = stepOf.applyAsLong(line);
                if (step > 0 && step <= resumeStep) {
                    kept.add(line);
                }
            }
        }
        AtomicFiles.writeString(file, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
        return Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    /** The step of a CSV row, or −1 for the header and anything else. */
    private static long csvStep(String line) {
        int comma = line.indexOf(',');
        return comma > 0 && Character.isDigit(line.charAt(0)) ? Long.parseLong(line.substring(0, comma)) : -1;
    }

    /** The step of a JSONL row, or −1 when the line is not one. */
    private static long jsonStep(String line) {
        try {
            return JSON.readTree(line).path("step").asLong(-1);
        } catch (IOException e) {
            return -1; // a line torn by a kill: dropped
        }
    }

    /** Appends step {@code r} to both logs. */
    void append(StepReport r, double secondsPerStep, double stepSeconds) throws IOException {
        csv.write(String.format(Locale.ROOT, "%d,%.8g,%.8g,%.8g,%.8g,%.4f%n", r.step(), r.loss(), r.penalty(),
                r.learningRate(), r.gradNorm(), secondsPerStep));
        ObjectNode row = JSON.createObjectNode();
        row.put("step", r.step());
        row.put("loss", r.loss());
        row.put("penalty", r.penalty());
        row.put("lr", r.learningRate());
        row.put("grad_norm", r.gradNorm());
        row.put("trainable", r.trainable());
        row.put("step_seconds", stepSeconds);
        row.put("rss_mib", Math.round(ProcessMemory.residentMiB() * 10) / 10.0);
        jsonl.write(JSON.writeValueAsString(row));
        jsonl.newLine();
    }

    void flush() throws IOException {
        csv.flush();
        jsonl.flush();
    }

    @Override
    public void close() throws IOException {
        try (jsonl) {
            csv.close();
        }
    }
}
