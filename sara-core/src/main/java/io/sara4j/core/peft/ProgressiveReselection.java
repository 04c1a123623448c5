package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SaRA's progressive parameter adjustment (paper §3.3): once {@code atStep} steps are done, the
 * trainable set shrinks to the entries that are still small, M2 = M ∧ (|P_current| &lt; θ), and only
 * M2 is trained for the rest of the run. Entries that have grown past θ have become effective
 * weights; freezing them lets the remaining ineffective ones be used (the paper reports 15% of the
 * set left below θ without this step and 2% with it).
 *
 * <p>Done better than the reference implementation: the re-selection happens after that step's
 * update (the update is not skipped), reads the signed current values (no |v| written back), and
 * carries the Adam moments of the surviving entries over instead of discarding the optimizer.
 * Entries of M \ M2 keep their trained values in the stored weight, and the adapter still covers
 * them. {@code atStep} ≤ 0 disables the event (the reference crashes on −1).
 */
final class ProgressiveReselection {
    private static final Logger LOG = LoggerFactory.getLogger(ProgressiveReselection.class);

    private final long atStep;
    private final double theta;
    private boolean done;

    /**
     * @param atStep re-select once this many steps are complete; ≤ 0 disables
     * @param theta the selection threshold θ
     */
    ProgressiveReselection(long atStep, double theta) {
        this.atStep = atStep;
        this.theta = theta;
    }

    /** Whether the event is enabled. */
    boolean enabled() {
        return atStep > 0 && !Double.isNaN(theta);
    }

    /** Whether the re-selection is due now that {@code completedSteps} steps are done. */
    boolean due(long completedSteps) {
        return enabled() && !done && completedSteps == atStep;
    }

    /**
     * Marks the event as done when a resumed run has already passed it ({@code completedSteps} ≥
     * atStep); the trained sets themselves come from the state file.
     */
    void restore(long completedSteps) {
        done = enabled() && completedSteps >= atStep;
    }

    /** The configured step (≤ 0 when disabled). */
    long atStep() {
        return atStep;
    }

    /**
     * Restricts every tensor to its entries with |v| &lt; θ and carries their Adam moments over.
     *
     * @return the number of values still trained
     */
    long apply(List<SparseAdaptation> tensors, AdamW optimizer) {
        long before = 0;
        long after = 0;
        for (SparseAdaptation t : tensors) {
            before += t.activeCount();
            NDArray keep;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                // |P_current| at the active positions is |v|: the stored weight holds v there
                keep = t.values().stopGradient().abs().lt((float) theta).nonzero().reshape(-1); // int64 offsets
                NDScope.unregister(keep);
            }
            try (keep) {
                NDArray old = t.values();
                NDArray fresh = t.restrictTo(keep);
                optimizer.carryOver(old, fresh, keep);
            }
            after += t.activeCount();
        }
        done = true;
        LOG.info("progressive re-selection: {} of {} trained values still below theta={} stay trainable", after, before, theta);
        return after;
    }
}
