package io.sara4j.cli;

import io.sara4j.core.peft.StepReport;
import io.sara4j.diffusion.training.TrainingListener;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How {@code sara train} and {@code sara pretrain} show a run's progress: on a terminal one bar
 * redrawn in place every step (step, loss, it/s, time left, last validation loss); otherwise (a
 * log file, a pipe, CI) one plain line per report, which stays readable when captured.
 */
final class TrainingProgress implements TrainingListener {
    private static final int BAR_WIDTH = 24;

    private final PrintWriter out;
    private final boolean bar;
    private double lastValidation = Double.NaN;
    private boolean barShown;

    private TrainingProgress(PrintWriter out, boolean bar) {
        this.out = out;
        this.bar = bar;
    }

    /** Whether the process writes to a terminal (the console is attached). */
    static boolean onTerminal() {
        return System.console() != null;
    }

    /** A bar on a terminal, plain lines otherwise. */
    static TrainingProgress forOutput(PrintWriter out) {
        return new TrainingProgress(out, onTerminal());
    }

    /** Plain lines whatever the output is. */
    static TrainingProgress lines(PrintWriter out) {
        return new TrainingProgress(out, false);
    }

    @Override
    public void onStep(StepReport r, long totalSteps, double secondsPerStep) {
        String validation = Double.isNaN(lastValidation) ? "" : String.format(Locale.ROOT, "  val %.4f", lastValidation);
        if (bar) {
            int filled = (int) (BAR_WIDTH * r.step() / Math.max(1, totalSteps));
            out.printf(Locale.ROOT, "\r%d/%d [%s%s] %5.1f%%  loss %.4f  %.2f it/s  ETA %s%s\u001b[K", r.step(), totalSteps,
                    "#".repeat(filled), "-".repeat(BAR_WIDTH - filled), 100.0 * r.step() / totalSteps, r.loss(),
                    1 / secondsPerStep, eta(totalSteps - r.step(), secondsPerStep), validation);
            barShown = r.step() < totalSteps;
            if (!barShown) {
                out.println();
            }
        } else {
            out.printf(Locale.ROOT, "step %d/%d  loss %.4f  lr %.3g  %.2f it/s  %.2f s/step  ETA %s%s%n", r.step(), totalSteps,
                    r.loss(), r.learningRate(), 1 / secondsPerStep, secondsPerStep, eta(totalSteps - r.step(), secondsPerStep),
                    validation);
        }
        out.flush();
    }

    @Override
    public void onValidation(long step, double loss) {
        lastValidation = loss;
        line(Double.isNaN(loss) ? String.format(Locale.ROOT, "sara: validation samples at step %d", step)
                : String.format(Locale.ROOT, "sara: validation at step %d: held-out loss %.5f", step, loss));
    }

    @Override
    public void onResume(long step) {
        line("sara: resuming from the checkpoint at step " + step);
    }

    @Override
    public void onCheckpoint(long step, Path folder) {
        line("sara: checkpoint at step " + step);
    }

    @Override
    public void onNote(String note) {
        line("sara: " + note);
    }

    /** A message on a line of its own, below the bar (which the next step redraws). */
    private void line(String text) {
        if (barShown) {
            out.print("\r\u001b[K");
        }
        out.println(text);
        out.flush();
    }

    private static String eta(long stepsLeft, double secondsPerStep) {
        long left = Math.round(stepsLeft * secondsPerStep);
        return String.format(Locale.ROOT, "%d:%02d:%02d", left / 3600, left / 60 % 60, left % 60);
    }
}
