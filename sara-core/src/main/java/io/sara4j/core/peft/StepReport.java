package io.sara4j.core.peft;

/**
 * What one {@link FineTuner#step} did, for logging.
 *
 * @param step the 1-based number of the completed step
 * @param loss the data loss handed to the step
 * @param penalty the regularizer value added to the loss (SaRA's λ·‖·‖_*; 0 for other methods)
 * @param learningRate the learning rate the update used
 * @param gradNorm the global L2 norm of the trainable gradients before clipping
 * @param trainable number of values the update touched
 */
public record StepReport(long step, double loss, double penalty, double learningRate, double gradNorm, long trainable) {}
