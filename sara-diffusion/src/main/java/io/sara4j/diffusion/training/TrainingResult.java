package io.sara4j.diffusion.training;

import java.nio.file.Path;

/**
 * What a finished run reports.
 *
 * @param steps the planned (and now completed) steps
 * @param resumedFrom the step this invocation started at (0 for a fresh run)
 * @param firstLoss the loss of the first step this invocation ran (NaN if it ran none)
 * @param lastLoss the loss of the last step (NaN if it ran none)
 * @param adapter the adapter file written
 * @param seconds wall time of this invocation's steps
 */
public record TrainingResult(long steps, long resumedFrom, double firstLoss, double lastLoss, Path adapter, double seconds) {}
