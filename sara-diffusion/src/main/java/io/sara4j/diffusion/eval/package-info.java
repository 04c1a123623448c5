/**
 * Evaluation: the pruning study behind SaRA's premise ({@link io.sara4j.diffusion.eval.PruningStudy})
 * and the shapes benchmark's stand-ins for the paper's Table 1 metrics, all read through a small
 * classifier trained on the generated data ({@link io.sara4j.diffusion.eval.ShapesClassifier},
 * trained by {@link io.sara4j.diffusion.eval.ClassifierTrainer}):
 * <ul>
 *   <li>{@link io.sara4j.diffusion.eval.StyleFidelity} — the FID analogue, a
 *       {@link io.sara4j.diffusion.eval.FrechetDistance} of classifier features;</li>
 *   <li>{@link io.sara4j.diffusion.eval.PromptAccuracy} — the CLIP-score analogue;</li>
 *   <li>{@link io.sara4j.diffusion.eval.PriorPreservation} — both for a style the base model knew;</li>
 *   <li>{@link io.sara4j.diffusion.eval.Vlhi} — the paper's Visual-Linguistic Harmony Index over
 *       compared methods.</li>
 * </ul>
 * {@link io.sara4j.diffusion.eval.Evaluator} generates the images and computes the scores. See
 * {@code docs/eval.md}.
 */
package io.sara4j.diffusion.eval;
