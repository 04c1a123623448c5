package io.sara4j.diffusion.scheduler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Holds the temporaries of one scheduler computation: a sub-manager of the sample's manager to
 * which the inputs are attached temporarily, so that every intermediate array lands in it. Only
 * the arrays passed to {@link #keep} survive {@link #close()}, in the sample's manager; the inputs
 * return to their own managers.
 */
final class TempScope implements AutoCloseable {
    private final NDManager target;
    private final NDManager scope;
    private final Map<NDArray, Boolean> attached = new IdentityHashMap<>();

    /** A scope under {@code sample}'s manager, with {@code sample} attached to it. */
    TempScope(NDArray sample) {
        this.target = sample.getManager();
        this.scope = target.newSubManager();
        use(sample);
    }

    /** {@code array}, attached to this scope until it closes, so results of ops on it land here. */
    NDArray use(NDArray array) {
        if (array.getManager() != scope && !attached.containsKey(array)) {
            array.tempAttach(scope);
            attached.put(array, Boolean.TRUE);
        }
        return array;
    }

    /** The manager holding the temporaries (for creating constants). */
    NDManager manager() {
        return scope;
    }

    /** Moves {@code result} to the sample's manager so that it outlives this scope. */
    NDArray keep(NDArray result) {
        result.attach(target);
        return result;
    }

    @Override
    public void close() {
        scope.close();
    }
}
