/**
 * Evaluation: measurements of models and fine-tuning runs (the pruning study behind SaRA's
 * premise; fidelity and prompt-accuracy metrics as they are added).
 */
package io.sara4j.diffusion.eval;
