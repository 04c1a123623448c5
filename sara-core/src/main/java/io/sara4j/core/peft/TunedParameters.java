package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Finding the parameters a tuner will train, as every method does when it attaches: the targets by
 * name, each still free of another tuner's adaptation, their stored tensors (what selection rules
 * read and the base fingerprint hashes) and the manager the tuner's state lives under.
 */
final class TunedParameters {
    private TunedParameters() {}

    /** The targeted parameters, refusing an empty set and already adapted parameters. */
    static Map<String, Parameter> select(Module module, NameFilter filter) {
        Map<String, Parameter> params = new LinkedHashMap<>();
        module.namedParameters().forEach((name, p) -> {
            if (filter.test(name)) {
                requireNoAdaptation(name, p);
                params.put(name, p);
            }
        });
        if (params.isEmpty()) {
            throw new IllegalArgumentException("no parameter of " + module.getClass().getSimpleName()
                    + " matches include " + filter.include() + " / exclude " + filter.exclude());
        }
        return params;
    }

    /**
     * A parameter trains under one tuner at a time: two adaptations of the same weight would each
     * assume theirs is the only change to the base.
     *
     * @throws IllegalStateException if {@code p} already has an adaptation
     */
    static void requireNoAdaptation(String name, Parameter p) {
        if (p.adaptation() != null) {
            throw new IllegalStateException("parameter '" + name + "' already has an adaptation ("
                    + p.adaptation().getClass().getSimpleName() + "); close the other tuner first");
        }
    }

    /** A new manager for a tuner's state, under the manager of the (first) tuned parameter. */
    static NDManager stateManager(Map<String, Parameter> params) {
        return params.values().iterator().next().data().getManager().newSubManager();
    }

    /** The stored tensors of all {@code params}, in their order. */
    static Map<String, NDArray> storedTensors(Map<String, Parameter> params) {
        return storedTensors(params, params.keySet());
    }

    /**
     * The stored tensors of {@code params} named by {@code names}, in the order of {@code names}:
     * what selection rules and {@link BaseFingerprint#of} read.
     */
    static Map<String, NDArray> storedTensors(Map<String, Parameter> params, Collection<String> names) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        names.forEach(name -> out.put(name, params.get(name).data()));
        return out;
    }
}
