package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A building block of a model, in the manner of {@code torch.nn.Module}: named parameters and
 * named child modules, so that the dotted path of every parameter equals its PyTorch state-dict
 * key ({@code down_blocks.0.attentions.0.proj_in.weight}).
 *
 * <p>Subclasses register children and parameters in their constructor, under the attribute names
 * of the PyTorch module they mirror, and expose a typed {@code forward}. Shapes are built eagerly
 * from the configuration; there is no deferred initialisation. All parameters of a module tree are
 * owned by the {@link NDManager} passed to the constructors, which outlives every training step.
 */
public abstract class Module {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = false;
    private boolean gradientCheckpointing = false;

    /**
     * Registers a parameter under {@code name} (a single key segment such as {@code weight}).
     *
     * @return the new parameter, which owns {@code data}
     */
    protected final Parameter registerParameter(String name, NDArray data) {
        checkName(name);
        Parameter parameter = new Parameter(data);
        parameters.put(name, parameter);
        return parameter;
    }

    /**
     * Registers a child module under {@code name}; a {@code null} child (an optional layer that this
     * configuration leaves out) is allowed and contributes no keys.
     *
     * @return {@code child}
     */
    protected final <M extends Module> M registerModule(String name, M child) {
        checkName(name);
        if (child != null) {
            children.put(name, child);
        }
        return child;
    }

    private void checkName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("a registered name is one key segment, got '" + name + "'");
        }
        if (parameters.containsKey(name) || children.containsKey(name)) {
            throw new IllegalArgumentException("name '" + name + "' is already registered in "
                    + getClass().getSimpleName());
        }
    }

    /** Direct children in registration order. */
    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Parameters registered directly on this module, in registration order. */
    public final Map<String, Parameter> localParameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /**
     * Every parameter of this module and its descendants, keyed by dotted path, in the order
     * PyTorch lists them (own parameters first, then each child in registration order).
     */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        visitParameters("", out::put);
        return out;
    }

    private void visitParameters(String prefix, BiConsumer<String, Parameter> visitor) {
        parameters.forEach((name, p) -> visitor.accept(prefix + name, p));
        children.forEach((name, child) -> child.visitParameters(prefix + name + ".", visitor));
    }

    /** Every module of the tree keyed by dotted path; the root has the empty path. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        visitModules("", out);
        return out;
    }

    private void visitModules(String path, Map<String, Module> out) {
        out.put(path, this);
        children.forEach((name, child) -> child.visitModules(path.isEmpty() ? name : path + "." + name, out));
    }

    /** The stored tensors (not adapted values) by state-dict key; the arrays are shared, not copied. */
    public final Map<String, NDArray> stateDict() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        visitParameters("", (name, p) -> out.put(name, p.data()));
        return out;
    }

    /** Total number of scalar values over all parameters. */
    public final long parameterCount() {
        long n = 0;
        for (Parameter p : namedParameters().values()) {
            n += p.shape().size();
        }
        return n;
    }

    /**
     * Copies {@code state} into the parameters, converting to each parameter's data type.
     *
     * <p>Every shape is checked before anything is copied, so a failed load leaves the module
     * unchanged. With {@code strict}, keys missing from {@code state} and keys the module does not
     * have are errors too; without it they are ignored.
     *
     * @throws StateDictMismatchException listing every missing key, unexpected key and shape mismatch
     */
    public final void loadStateDict(Map<String, NDArray> state, boolean strict) {
        loadStateDict(state, strict, "state dict");
    }

    /**
     * As {@link #loadStateDict(Map, boolean)}, naming {@code source} (typically the weights file)
     * in the error message.
     */
    public final void loadStateDict(Map<String, NDArray> state, boolean strict, String source) {
        Map<String, Parameter> own = namedParameters();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : own.entrySet()) {
            NDArray value = state.get(e.getKey());
            if (value == null) {
                missing.add(e.getKey());
            } else if (!value.getShape().equals(e.getValue().shape())) {
                mismatched.add(e.getKey() + ": expected " + e.getValue().shape() + ", found " + value.getShape());
            }
        }
        for (String key : state.keySet()) {
            if (!own.containsKey(key)) {
                unexpected.add(key);
            }
        }
        if (!mismatched.isEmpty() || (strict && (!missing.isEmpty() || !unexpected.isEmpty()))) {
            throw new StateDictMismatchException(source, getClass().getSimpleName(),
                    strict ? missing : List.of(), strict ? unexpected : List.of(), mismatched);
        }
        for (Map.Entry<String, Parameter> e : own.entrySet()) {
            NDArray value = state.get(e.getKey());
            if (value != null) {
                e.getValue().copyFrom(value);
            }
        }
    }

    /** Converts every parameter to {@code type} (for example FLOAT16 weights to FLOAT32 compute). */
    public final void convertTo(DataType type) {
        for (Parameter p : namedParameters().values()) {
            p.convertTo(type);
        }
    }

    /** Switches training behaviour (dropout) on or off for the whole tree. */
    public final void setTraining(boolean training) {
        this.training = training;
        for (Module child : children.values()) {
            child.setTraining(training);
        }
    }

    /** Whether training behaviour (dropout) is on. */
    public final boolean isTraining() {
        return training;
    }

    /**
     * Switches gradient checkpointing on or off for the whole tree: modules that support it
     * recompute their blocks' activations in backward instead of keeping them
     * ({@link GradientCheckpointing}). Same gradients, less memory, one more forward pass of each
     * block per step.
     */
    public final void setGradientCheckpointing(boolean on) {
        this.gradientCheckpointing = on;
        for (Module child : children.values()) {
            child.setGradientCheckpointing(on);
        }
    }

    /** Whether gradient checkpointing is on. */
    public final boolean isGradientCheckpointing() {
        return gradientCheckpointing;
    }

    /**
     * {@code block.apply(inputs)}, checkpointed when gradient checkpointing is on
     * ({@link GradientCheckpointing#run}).
     */
    protected final NDArray checkpointed(Function<NDArray[], NDArray> block, NDArray... inputs) {
        return gradientCheckpointing ? GradientCheckpointing.run(block, inputs) : block.apply(inputs);
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + parameterCount() + " values)";
    }
}
