package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import io.sara4j.core.io.SafetensorsDType;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.io.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * An exponential moving average of a tuner's trained values, for sampling and saving a smoother
 * model than the last step's (diffusers' {@code EMAModel}, applied to what the method trains: SaRA's
 * sparse values, LoRA's factors, full fine-tuning's weights).
 *
 * <p>After optimizer step t (1-based) {@link #update()} sets {@code ema ← d·ema + (1 − d)·value}
 * with {@code d = min(decay, (1 + t) / (10 + t))}, diffusers' default warm-up: the average follows
 * the values closely early on, when they move fast, and settles to {@code decay} later. It starts
 * from the values at the time it is created.
 *
 * <p>The averaged model is used by swapping its values in ({@link #withAveragedValues}) and back
 * out exactly; {@link #save} writes the method's adapter file with the averaged values. Its own
 * state (the averages and the step they were last updated at) is saved and restored with
 * {@link #saveState}/{@link #loadState} beside the tuner's, so a resumed run continues it.
 */
public final class ExponentialMovingAverage implements AutoCloseable {
    private static final String STEP_KEY = "ema_step";
    private static final String DECAY_KEY = "ema_decay";

    private final AdamWTuner tuner;
    private final double decay;
    private final NDManager state;
    private final Map<String, NDArray> average;
    private long updatedAtStep;

    private ExponentialMovingAverage(AdamWTuner tuner, double decay) {
        this.tuner = tuner;
        this.decay = decay;
        this.state = tuner.state.newSubManager();
        this.average = new LinkedHashMap<>();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            tuner.trainedValues().forEach((name, value) -> {
                NDScope.unregister(value);
                value.attach(state);
                average.put(name, value);
            });
        }
        this.updatedAtStep = tuner.steps();
    }

    /**
     * Starts averaging {@code tuner}'s trained values from their current ones.
     *
     * @param decay in [0, 1): the weight of the past at every step once warmed up (0.9999 is usual
     *     for long runs, 0.99–0.999 for short ones)
     */
    public static ExponentialMovingAverage start(FineTuner tuner, double decay) {
        if (!(decay >= 0 && decay < 1)) {
            throw new IllegalArgumentException("EMA decay must be in [0, 1), got " + decay);
        }
        if (!(tuner instanceof AdamWTuner t)) {
            throw new IllegalArgumentException("EMA needs one of the project's tuners, got " + tuner.getClass().getName());
        }
        t.requireTrainable();
        return new ExponentialMovingAverage(t, decay);
    }

    /** The decay applied after step {@code t}: min(decay, (1 + t) / (10 + t)). */
    double decayAt(long t) {
        return Math.min(decay, (1.0 + t) / (10.0 + t));
    }

    /** Folds the tuner's current values in; call once after every optimizer step. */
    public void update() {
        long t = tuner.steps();
        if (t == updatedAtStep) {
            return; // no new step since the last update
        }
        float d = (float) decayAt(t);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Map<String, NDArray> values = tuner.trainedValues();
            average.forEach((name, avg) -> avg.muli(d).addi(values.get(name).muli(1 - d)));
        }
        updatedAtStep = t;
    }

    /**
     * Runs {@code action} with the averaged values in the model (sampling, validation), then puts
     * the trained values back exactly.
     */
    public <T> T withAveragedValues(Supplier<T> action) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Map<String, NDArray> trained = tuner.trainedValues();
            tuner.setTrainedValues(average);
            try {
                return action.get();
            } finally {
                tuner.setTrainedValues(trained);
            }
        }
    }

    /** Writes the method's adapter file (as {@link FineTuner#save}) holding the averaged values. */
    public void save(Path adapterFile) {
        withAveragedValues(() -> {
            tuner.save(adapterFile);
            return null;
        });
    }

    /** The step of the last {@link #update()} (or of the start). */
    public long updatedAtStep() {
        return updatedAtStep;
    }

    /** Writes the averages and their step (atomically) so that a resumed run can continue them. */
    public void saveState(Path file) {
        Map<String, String> metadata = Map.of(STEP_KEY, Long.toString(updatedAtStep), DECAY_KEY, Double.toString(decay));
        try {
            SafetensorsWriter.write(file, average, metadata); // atomic: temporary file, then rename
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write EMA state " + file, e);
        }
    }

    /**
     * Replaces the averages by those in {@code file}, written by {@link #saveState} for the same
     * tuner and decay.
     *
     * @throws IllegalArgumentException naming the file and the tensor or field that does not fit
     */
    public void loadState(Path file) {
        try (SafetensorsFile in = SafetensorsFile.open(file); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            String savedDecay = in.metadata().get(DECAY_KEY);
            if (savedDecay == null || Double.parseDouble(savedDecay) != decay) {
                throw new IllegalArgumentException(file + ": EMA decay " + savedDecay + " in the file, " + decay
                        + " in this run: a resumed run must use the same --ema-decay");
            }
            if (!new HashSet<>(in.names()).equals(average.keySet())) {
                throw new IllegalArgumentException(file + ": holds EMA values for " + in.names().size()
                        + " tensors, this tuner has " + average.size() + " (a different method or selection)");
            }
            for (Map.Entry<String, NDArray> e : average.entrySet()) {
                TensorInfo info = in.info(e.getKey());
                if (info.dtype() != SafetensorsDType.F32 || !info.djlShape().equals(e.getValue().getShape())) {
                    throw new IllegalArgumentException(file + ": EMA tensor '" + e.getKey() + "' is " + info.dtype() + " "
                            + info.djlShape() + ", expected F32 " + e.getValue().getShape());
                }
            }
            for (Map.Entry<String, NDArray> e : average.entrySet()) {
                e.getValue().set(new NDIndex("..."), in.load(e.getKey(), state));
            }
            updatedAtStep = Long.parseLong(in.metadata().getOrDefault(STEP_KEY, "0"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read EMA state " + file, e);
        }
    }

    @Override
    public void close() {
        average.clear();
        state.close();
    }
}
