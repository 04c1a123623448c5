package io.sara4j.diffusion.training;

import io.sara4j.core.peft.StepReport;
import java.nio.file.Path;

/** What a training run tells its caller as it goes (progress display, logs). */
public interface TrainingListener {
    /** Called every {@code logEvery} steps with the step's report and the run's pace. */
    void onStep(StepReport report, long totalSteps, double secondsPerStep);

    /** Called after a checkpoint was written. */
    default void onCheckpoint(long step, Path folder) {}

    /** Called once when a run continues from a checkpoint. */
    default void onResume(long step) {}

    /** Called after each validation with the held-out loss (NaN without held-out data). */
    default void onValidation(long step, double loss) {}

    /** A remark for the log (what the latent cache saved, an option without effect). */
    default void onNote(String note) {}

    /** A listener that ignores everything. */
    static TrainingListener silent() {
        return (report, total, pace) -> {};
    }
}
