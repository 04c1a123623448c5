/**
 * The shapes benchmark: small procedurally drawn RGB images with exact ground truth, a coloured
 * {@link io.sara4j.diffusion.data.shapes.ShapeKind shape} on a
 * {@link io.sara4j.diffusion.data.shapes.Background background}, painted in one of several
 * {@link io.sara4j.diffusion.data.shapes.Style styles} that change texture and nothing else, and
 * captioned "a red circle on a black background".
 *
 * <p>It stands in for the paper's style datasets at a size a CPU can train on: a small base
 * model learns some styles, fine-tuning teaches an unseen one, and a classifier trained on the
 * labels ({@code shape}, {@code colour}, {@code style} in {@code metadata.jsonl}) measures style
 * fidelity and prompt accuracy on (shape, colour) combinations held out by
 * {@link io.sara4j.diffusion.data.shapes.HeldOutSplit}. Drawing is pure Java arithmetic on int
 * pixels ({@link io.sara4j.diffusion.data.shapes.ShapesRenderer}), so a seed gives the same pixels
 * on every JVM.
 */
package io.sara4j.diffusion.data.shapes;
