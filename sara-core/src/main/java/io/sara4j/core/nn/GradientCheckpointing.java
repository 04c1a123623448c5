package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Function;

/**
 * Gradient (activation) checkpointing: a block's activations are not kept for backward but
 * recomputed from its inputs when backward reaches it ({@code torch.utils.checkpoint}, which
 * diffusers applies to every resnet and transformer of the UNet).
 *
 * <p>How it runs on DJL, which has no custom autograd functions:
 * <ol>
 *   <li><b>Forward</b>, in a recorded pass: {@link #run} evaluates the block with recording off and
 *       frees everything it created except its output. The output becomes a fresh leaf that
 *       requires a gradient, and the block (function, inputs, output) goes onto this thread's tape.
 *       The rest of the forward pass records as usual on top of that leaf.</li>
 *   <li><b>Backward</b> ({@link Autograd#backward}): the loss's own backward fills the gradient of
 *       the leaves it reaches; then the taped blocks run newest first. Each is evaluated again,
 *       recorded, on its original inputs, and backward is run from its output with the leaf's
 *       accumulated gradient as the seed. That backward goes on through the inputs' own history
 *       into earlier leaves (an earlier block's output, a concatenation of skips, the time
 *       embedding) and into the trainable tensors, where gradients accumulate as usual. Newest first
 *       guarantees that a leaf's gradient is complete before its block runs, since every consumer of
 *       a tensor was created after it.</li>
 * </ol>
 * Every backward here keeps the graph (retain_graph): the inputs' history, such as the time
 * embedding, is shared by many blocks. It is freed with the step's arrays.
 *
 * <p>Gradients equal those of the plain pass, up to the order of float additions. A block must be
 * deterministic: one that draws random numbers (dropout with p &gt; 0) would draw different ones
 * when recomputed, so such layers refuse to run inside a checkpointed block
 * ({@link #requireDeterministic}).
 */
public final class GradientCheckpointing {
    private static final ThreadLocal<Deque<Segment>> TAPE = ThreadLocal.withInitial(ArrayDeque::new);
    private static final ThreadLocal<Integer> DEPTH = ThreadLocal.withInitial(() -> 0); // blocks being evaluated

    private GradientCheckpointing() {}

    /** A checkpointed block awaiting its backward. */
    private record Segment(Function<NDArray[], NDArray> block, NDArray[] inputs, NDArray output) {}

    /**
     * {@code block.apply(inputs)}, checkpointed when the engine is recording; otherwise (inference,
     * or inside another checkpointed block) simply evaluated.
     *
     * @param block the computation; it must read only {@code inputs} and parameters, and be
     *     deterministic
     * @param inputs every array the block reads that may carry a gradient (others may be captured)
     * @return the block's output; in a recorded pass a leaf that requires a gradient
     */
    public static NDArray run(Function<NDArray[], NDArray> block, NDArray... inputs) {
        if (!Autograd.isRecording()) {
            return block.apply(inputs); // inference, or the unrecorded forward of an enclosing block
        }
        Deque<Segment> tape = TAPE.get();
        tape.removeIf(s -> s.output.isReleased()); // left by a recorded pass whose backward never ran
        NDArray output;
        Autograd.setRecording(false);
        DEPTH.set(DEPTH.get() + 1);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            output = block.apply(inputs);
            NDScope.unregister(output); // everything else the block created is freed here
        } finally {
            DEPTH.set(DEPTH.get() - 1);
            Autograd.setRecording(true);
        }
        output.setRequiresGradient(true);
        tape.push(new Segment(block, inputs.clone(), output));
        return output;
    }

    /** Whether checkpointed blocks are waiting for their backward on this thread. */
    static boolean hasPending() {
        Deque<Segment> tape = TAPE.get();
        tape.removeIf(s -> s.output.isReleased());
        return !tape.isEmpty();
    }

    /**
     * Runs the backward of every taped block, newest first, after the loss's own backward; the tape
     * is empty afterwards. Blocks whose output received no gradient are skipped.
     */
    static void backwardPending() {
        Deque<Segment> tape = TAPE.get();
        boolean recording = Autograd.isRecording();
        Autograd.setRecording(true);
        try {
            drain(tape);
        } finally {
            tape.clear();
            Autograd.setRecording(recording);
        }
    }

    /**
     * Backward of the blocks on {@code tape}, newest first. A block recomputed here may itself
     * checkpoint parts of it ({@link #runNested}): those go onto a tape of their own, drained right
     * after the block's backward has given their outputs a gradient, so that only one part's
     * activations exist at a time.
     */
    private static void drain(Deque<Segment> tape) {
        while (!tape.isEmpty()) {
            Segment s = tape.pop();
            if (s.output.isReleased()) {
                continue;
            }
            try (NDArray seed = Autograd.gradient(s.output)) {
                if (seed == null) {
                    continue;
                }
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    Deque<Segment> inner = new ArrayDeque<>();
                    NDArray recomputed;
                    TAPE.set(inner);
                    DEPTH.set(DEPTH.get() + 1);
                    try {
                        recomputed = s.block.apply(s.inputs);
                    } finally {
                        DEPTH.set(DEPTH.get() - 1);
                        TAPE.set(tape);
                    }
                    Autograd.backwardIfRecorded(recomputed, seed); // not when nothing before it is trained
                    drain(inner);
                } // the recomputed activations go here, block by block
            }
        }
    }

    /**
     * {@code block.apply(inputs)}, checkpointed when it runs inside a checkpointed block (which
     * then recomputes it part by part), else simply evaluated. For parts whose activations are
     * large only within a block, such as attention's score matrix.
     */
    public static NDArray runNested(Function<NDArray[], NDArray> block, NDArray... inputs) {
        return DEPTH.get() > 0 ? run(block, inputs) : block.apply(inputs);
    }

    /**
     * Refuses a random layer inside a checkpointed block: its recomputation would draw different
     * random numbers than the forward pass did, and the gradients would be those of another
     * network.
     *
     * @param layer named in the error
     * @throws IllegalStateException inside a checkpointed block
     */
    public static void requireDeterministic(String layer) {
        if (DEPTH.get() > 0) {
            throw new IllegalStateException(layer + " draws random numbers, which gradient checkpointing cannot "
                    + "replay; set its probability to 0 or turn gradient checkpointing off");
        }
    }
}
