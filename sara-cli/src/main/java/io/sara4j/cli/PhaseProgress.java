package io.sara4j.cli;

import io.sara4j.core.peft.StepReport;
import io.sara4j.diffusion.training.TrainingListener;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The progress display of one phase of a long command (training, sampling, scoring): a bar with
 * count, rate and time left on a terminal; on anything else (a log file, a test) a plain line every
 * {@value #PLAIN_INTERVAL_MS} ms and one at the end, so logs stay readable.
 *
 * <p>As a {@link TrainingListener} it shows the training steps with the current loss.
 */
final class PhaseProgress implements TrainingListener, AutoCloseable {
    private static final int PLAIN_INTERVAL_MS = 10_000;
    private static final int TERMINAL_INTERVAL_MS = 250;

    private final ProgressBar bar;
    private final PrintWriter err;

    private PhaseProgress(ProgressBar bar, PrintWriter err) {
        this.bar = bar;
        this.err = err;
    }

    /** Starts a bar for {@code total} units named {@code unit}, printing to {@code err} (or the terminal). */
    static PhaseProgress start(PrintWriter err, String task, long total, String unit) {
        boolean terminal = System.console() != null;
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(" " + unit, 1)
                .showSpeed().setStyle(terminal ? ProgressBarStyle.COLORFUL_UNICODE_BLOCK : ProgressBarStyle.ASCII);
        if (terminal) {
            b.setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(TERMINAL_INTERVAL_MS);
        } else {
            b.setConsumer(new DelegatingProgressBarConsumer(line -> {
                err.println(line.stripTrailing());
                err.flush();
            }, 120)).setUpdateIntervalMillis(PLAIN_INTERVAL_MS);
        }
        return new PhaseProgress(b.build(), err);
    }

    /** Sets the count done. */
    void stepTo(long done) {
        bar.stepTo(done);
    }

    @Override
    public void onStep(StepReport report, long totalSteps, double secondsPerStep) {
        bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f", report.loss()));
        bar.stepTo(report.step());
    }

    @Override
    public void onResume(long step) {
        // the steps before the checkpoint were done by an earlier run: count them, but not in the rate
        bar.stepTo(step);
        bar.setExtraMessage(" resumed at step " + step);
        err.printf("sara: resuming from the checkpoint at step %d%n", step);
        err.flush();
    }

    @Override
    public void onCheckpoint(long step, Path folder) {}

    @Override
    public void close() {
        bar.close();
    }
}
