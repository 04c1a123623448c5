package io.sara4j.diffusion.training;

import io.sara4j.core.io.AtomicFiles;
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

/**
 * {@code losses.csv}: one row per step (step, loss, penalty, lr, grad_norm, seconds_per_step).
 * A resumed run first drops the rows after its checkpoint, which the resumed steps will write again.
 */
final class LossLog implements AutoCloseable {
    static final String HEADER = "step,loss,penalty,lr,grad_norm,seconds_per_step";

    private final BufferedWriter out;

    private LossLog(BufferedWriter out) {
        this.out = out;
    }

    /** Opens the log for appending after step {@code resumeStep} (rows beyond it are dropped). */
    static LossLog open(Path file, long resumeStep) throws IOException {
        List<String> kept = new ArrayList<>();
        kept.add(HEADER);
        if (resumeStep > 0 && Files.exists(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                int comma = line.indexOf(',');
                if (comma > 0 && Character.isDigit(line.charAt(0)) && Long.parseLong(line.substring(0, comma)) <= resumeStep) {
                    kept.add(line);
                }
            }
        }
        AtomicFiles.writeString(file, String.join("\n", kept) + "\n");
        return new LossLog(Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND));
    }

    void append(StepReport r, double secondsPerStep) throws IOException {
        out.write(String.format(Locale.ROOT, "%d,%.8g,%.8g,%.8g,%.8g,%.4f%n", r.step(), r.loss(), r.penalty(),
                r.learningRate(), r.gradNorm(), secondsPerStep));
    }

    void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
