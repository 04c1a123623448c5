package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/**
 * One named tensor of a {@link Module}: its stored data and, optionally, an {@link Adaptation}.
 *
 * <p>The stored array belongs to the manager of the module that created it and lives as long as
 * the model. {@link #value()} is what layers compute with; fine-tuning methods change it by
 * installing an adaptation instead of editing layer code ({@link Linear} and {@link Conv2d} may
 * instead hand their input to a {@link LinearAdaptation} or {@link Conv2dAdaptation}, see
 * {@link Adaptation}).
 *
 * <p>Stored arrays are never tracked by an open {@link NDScope}: a model may be built or loaded
 * inside a scope and keeps its weights when the scope closes.
 */
public final class Parameter {
    private NDArray data;
    private Adaptation adaptation;

    /** Wraps {@code data}; the parameter takes ownership of the array. */
    public Parameter(NDArray data) {
        this.data = Objects.requireNonNull(data, "data");
        NDScope.unregister(data); // the parameter, not the enclosing scope, decides when it dies
    }

    /** The stored tensor (pretrained or initial values), without any adaptation. */
    public NDArray data() {
        return data;
    }

    /** The tensor layers compute with: the stored tensor passed through the adaptation, if any. */
    public NDArray value() {
        return adaptation == null ? data : adaptation.apply(data);
    }

    /** The shape of the stored tensor. */
    public Shape shape() {
        return data.getShape();
    }

    /** The element type of the stored tensor. */
    public DataType dataType() {
        return data.getDataType();
    }

    /** The installed adaptation, or {@code null}. */
    public Adaptation adaptation() {
        return adaptation;
    }

    /** Installs (or, with {@code null}, removes) the adaptation used by {@link #value()}. */
    public void setAdaptation(Adaptation adaptation) {
        this.adaptation = adaptation;
    }

    /**
     * Replaces the stored tensor by a copy of {@code values} (same shape, converted to this
     * parameter's data type) owned by this parameter's manager; the previous array is closed.
     *
     * @throws IllegalArgumentException if the shapes differ
     */
    public void copyFrom(NDArray values) {
        if (!values.getShape().equals(data.getShape())) {
            throw new IllegalArgumentException(
                    "shape mismatch: parameter has " + data.getShape() + ", values have " + values.getShape());
        }
        NDManager owner = data.getManager();
        // DJL ignores toType's copy flag and torch's to() returns the same storage for the same type;
        // an array made from Java data (manager.create(float[])) lives in a direct buffer that is freed
        // when its own handle is collected, so only a clone is a copy the engine owns.
        NDArray copy = values.getDataType() == data.getDataType()
                ? values.duplicate()
                : values.toType(data.getDataType(), false);
        replace(copy, owner);
    }

    /**
     * Converts the stored tensor to {@code type} in place of the old one (which is closed); a
     * parameter that required a gradient still does.
     */
    public void convertTo(DataType type) {
        if (data.getDataType() == type) {
            return;
        }
        NDManager owner = data.getManager();
        NDArray converted = data.toType(type, true);
        replace(converted, owner);
    }

    /** Makes {@code fresh} the stored array, owned by {@code owner}, keeping gradient tracking. */
    private void replace(NDArray fresh, NDManager owner) {
        fresh.attach(owner);
        NDScope.unregister(fresh);
        boolean grad = data.hasGradient();
        data.close();
        data = fresh;
        if (grad) {
            data.setRequiresGradient(true);
        }
    }

    @Override
    public String toString() {
        return "Parameter" + data.getShape() + " " + data.getDataType()
                + (adaptation == null ? "" : " adapted by " + adaptation.getClass().getSimpleName());
    }
}
