package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import java.nio.file.Path;

/**
 * One fine-tuning method attached to a module: SaRA, LoRA, full fine-tuning and the sparse
 * baselines all implement it, so training loops, comparisons and benchmarks treat them alike.
 *
 * <p>Use: run the forward pass inside a {@code GradientCollector} (PyTorch records autograd history
 * only then), then hand the scalar loss to {@link #step(NDArray)}, inside or after the collector:
 * <pre>{@code
 * FineTuner tuner = Sara.attach(unet, SaraConfig.threshold(2e-3));
 * for (Batch b : data) {
 *     try (NDScope scope = new NDScope(); GradientCollector gc = engine.newGradientCollector()) {
 *         NDArray loss = ...;              // forward through the adapted module
 *         StepReport r = tuner.step(loss); // backward, regularizer, optimizer, schedule, events
 *     }
 * }
 * tuner.save(Path.of("adapter.safetensors"));
 * }</pre>
 * A tuner installs {@link io.sara4j.core.nn.Adaptation}s on the module's parameters; the module
 * must not be attached to two tuners at once.
 */
public interface FineTuner extends AutoCloseable {

    /**
     * One training step: backward of {@code loss}, the method's regularizers, gradient clipping,
     * the optimizer update at the scheduled learning rate, and any event due at this step (SaRA's
     * progressive re-selection). Gradients are zeroed afterwards, and every temporary the step
     * creates is closed.
     *
     * @param loss a scalar computed from the module's forward pass under a gradient collector
     * @return what the step did (loss, regularizer value, learning rate, gradient norm)
     * @throws IllegalStateException if {@code loss} carries no autograd history, or after
     *     {@link #merge()} or {@link #close()}
     */
    StepReport step(NDArray loss);

    /**
     * Gradient accumulation: backward of {@code loss} only, adding to the gradients the next
     * {@link #step(NDArray)} uses; no update, no regularizer, the step counter unchanged. K − 1 calls
     * with loss/K of K − 1 micro-batches and a step with the last one's loss/K update exactly as one
     * step on the whole batch would (up to float summation order).
     *
     * @throws IllegalStateException as {@link #step(NDArray)}
     */
    void accumulate(NDArray loss);

    /** The adapter metadata key holding the training record ({@link #setTrainingRecord}). */
    String TRAINING_KEY = "training";

    /**
     * Sets a description of the run (JSON: the resolved training configuration) that every adapter
     * file written from now on carries under the metadata key {@value #TRAINING_KEY}, so an adapter
     * says how it was made.
     */
    void setTrainingRecord(String json);

    /** Number of scalar values the optimizer updates. */
    long trainableCount();

    /**
     * Bytes of native memory this tuner holds for training, beyond the model's own weights:
     * trainable values, their gradients, optimizer moments, indices and kept original values,
     * counted from the arrays actually held (after the first step, when gradients exist).
     */
    long stateBytes();

    /** Number of completed {@link #step(NDArray)} calls. */
    long steps();

    /** Writes the method's adapter file (atomically); see {@code docs/adapter-format.md}. */
    void save(Path file);

    /**
     * Reads an adapter file written by {@link #save(Path)} for the same base model and method and
     * puts its values into the module; optimizer state is not part of the file and is kept. To
     * continue a run exactly, use {@link #saveState(Path)} and {@link #loadState(Path)} instead.
     *
     * @throws IllegalArgumentException naming the tensor when the file does not fit this tuner
     */
    void load(Path file);

    /**
     * Writes everything needed to continue this run exactly (atomically, as a safetensors file; see
     * "Training state files" in {@code docs/adapter-format.md}): the trained values, the index sets
     * in use (SaRA's active entries after progressive re-selection), Adam's moments and the step
     * counter, with the method, configuration and base fingerprint. Per-step randomness (SaRA's
     * penalized layer, LoRA's dropout masks) is derived from the seed and the step number, so it
     * needs no saved generator.
     *
     * <p>Resuming: attach the same method with the same configuration to a fresh copy of the same
     * base model, then {@link #loadState(Path)}; training on then gives bit-identical parameters and
     * {@link StepReport}s to a run that was never interrupted (given the same batches).
     *
     * @throws IllegalStateException after {@link #merge()} or {@link #close()}
     */
    void saveState(Path file);

    /**
     * Restores a state written by {@link #saveState(Path)}: values, index sets, moments and step
     * counter, replacing this tuner's. Everything is checked before anything changes: format,
     * method, base fingerprint, every configuration field, and each tensor's presence, type and shape;
     * tensors this tuner does not know are refused too.
     *
     * @throws IllegalArgumentException naming the file and the field or tensor that does not fit
     * @throws IllegalStateException after {@link #merge()} or {@link #close()}
     */
    void loadState(Path file);

    /**
     * Writes the adapted values into the parameters' stored tensors and removes the adaptations, so
     * the module runs at plain inference cost. The tuner can still {@link #save(Path)} afterwards
     * but no longer train.
     */
    void merge();

    /**
     * Releases the training state and removes the adaptations. The module keeps the values it has
     * at that moment (for the in-place sparse methods these are the tuned values).
     */
    @Override
    void close();
}
