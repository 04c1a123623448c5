package io.sara4j.core.nn;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The few autograd calls DJL's public API does not offer, isolated here (DESIGN: engine internals
 * only where a missing op forces it, in one place).
 *
 * <p>DJL runs backward only through {@code GradientCollector.backward}, and only one collector may
 * be open at a time; a fine-tuner's {@code step(loss)} is called while the caller's collector is
 * still open, so it cannot open its own. It calls the engine's backward directly instead, which
 * works with or without an open collector. Whether the engine is recording (grad mode on) tells the
 * sparse adaptation whether it must build the autograd link or can hand out the stored tensor.
 */
public final class Autograd {
    private Autograd() {}

    /** Whether operations are being recorded for backward (inside a {@code GradientCollector}). */
    public static boolean isRecording() {
        return JniUtils.isGradMode();
    }

    /** Turns recording (grad mode) on or off for this thread. */
    public static void setRecording(boolean recording) {
        JniUtils.setGradMode(recording);
    }

    /**
     * Back-propagates the scalar {@code loss} into every leaf that requires a gradient, including
     * through the blocks of a {@link GradientCheckpointing checkpointed} forward pass; the graph is
     * freed with the step's arrays.
     *
     * @throws IllegalStateException if {@code loss} has no autograd history
     */
    public static void backward(NDArray loss) {
        if (!loss.getShape().isScalar() && loss.size() != 1) {
            throw new IllegalArgumentException("the loss must be a scalar, got shape " + loss.getShape());
        }
        boolean checkpointed = GradientCheckpointing.hasPending();
        try (NDArray seed = loss.onesLike()) {
            // The checkpointed blocks still need whatever history the loss shares with their inputs.
            backward(loss, seed, checkpointed);
        }
        if (checkpointed) {
            GradientCheckpointing.backwardPending();
        }
    }

    /**
     * Back-propagates {@code seed}, the gradient of some scalar with respect to {@code output}, into
     * every leaf that requires a gradient.
     *
     * @param keepGraph keep the graph's saved tensors for another backward through part of it
     */
    static void backward(NDArray output, NDArray seed, boolean keepGraph) {
        // DJL's hasGradient() is false for every non-leaf array, and asking a tensor without history
        // for its grad_fn crashes the JVM, so an output without history shows up as the engine's error.
        try {
            JniUtils.backward((PtNDArray) output, (PtNDArray) seed, keepGraph, false);
        } catch (EngineException e) {
            if (String.valueOf(e.getMessage()).contains("does not require grad")) {
                throw new IllegalStateException("the loss carries no autograd history: run the forward pass inside a "
                        + "GradientCollector (Engine.newGradientCollector()) so the trainable values are recorded", e);
            }
            throw e;
        }
    }

    /**
     * As {@link #backward(NDArray, NDArray, boolean)} keeping the graph, but does nothing when
     * {@code output} has no autograd history (no trainable tensor and no input with a gradient
     * contributed to it).
     */
    static void backwardIfRecorded(NDArray output, NDArray seed) {
        // The engine is the only one that knows: DJL reports requires_grad as false for every
        // non-leaf array, and asking a tensor without history for its grad_fn crashes the JVM.
        try {
            JniUtils.backward((PtNDArray) output, (PtNDArray) seed, true, false);
        } catch (EngineException e) {
            if (!String.valueOf(e.getMessage()).contains("does not require grad")) {
                throw e;
            }
        }
    }

    /**
     * The gradient accumulated in {@code leaf}, or {@code null} if backward never reached it. The
     * returned array is a new handle on the gradient buffer; the caller closes it.
     */
    public static NDArray gradient(NDArray leaf) {
        return JniUtils.getGradient((PtNDArray) leaf);
    }

    /**
     * Gives {@code leaf} (which must require a gradient) its gradient buffer now, zeroed, unless it
     * has one.
     *
     * <p>Why: otherwise the engine allocates it during the first backward pass, amid that step's
     * activations, and a buffer that lives for the whole run then sits in the middle of the memory
     * the activations of every later step reuse; the allocator has to grow the heap around it. For
     * SaRA on the benchmark UNet that cost about 45 MB more resident memory than the gradients
     * themselves take.
     */
    public static void allocateGradient(NDArray leaf) {
        if (hasGradientBuffer(leaf)) {
            return;
        }
        boolean recording = JniUtils.isGradMode();
        JniUtils.setGradMode(true); // record leaf.sum() even outside a GradientCollector
        try (NDArray sum = leaf.sum()) {
            backward(sum); // d(sum)/d(leaf) = 1 everywhere: the engine allocates a contiguous buffer of ones
        } finally {
            JniUtils.setGradMode(recording);
        }
        try (NDArray g = gradient(leaf)) {
            g.subi(g); // ones − ones: zero, in place
        }
    }

    /** Whether {@code array} holds a gradient buffer (frozen weights never should). */
    public static boolean hasGradientBuffer(NDArray array) {
        NDArray g = JniUtils.getGradient((PtNDArray) array);
        if (g == null) {
            return false;
        }
        g.close();
        return true;
    }
}
