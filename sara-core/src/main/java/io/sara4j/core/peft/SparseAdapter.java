package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.io.RawTensor;
import io.sara4j.core.io.SafetensorsDType;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.io.TensorInfo;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A sparse adapter in memory, independent of training: per tuned tensor the sorted flat positions
 * that changed and their deltas ΔP = P_tuned − P0, with the fingerprint of the base they belong to.
 * Applying it gives P = P0 + α·ΔP (SaRA §4 "scaling and merging": α = 0 is the base model, α = 1
 * the tuned one, several adapters add). The file layout is specified in {@code docs/adapter-format.md}.
 *
 * <pre>{@code
 * try (SparseAdapter a = SparseAdapter.read(Path.of("style.safetensors"), manager)) {
 *     a.applyTo(unet, 0.8);          // checks the base first, names any tensor that differs
 * }
 * }</pre>
 */
public final class SparseAdapter implements AutoCloseable {
    /** Value of the {@code format} metadata key. */
    public static final String FORMAT = "sara4j.sparse-adapter";
    /** The layout version this code writes and the newest it reads. */
    public static final int FORMAT_VERSION = 1;
    /** Suffix of a tensor's positions. */
    public static final String IDX_SUFFIX = ".sara.idx";
    /** Suffix of a tensor's deltas. */
    public static final String DELTA_SUFFIX = ".sara.delta";

    /**
     * One tensor's change.
     *
     * @param positions sorted flat row-major positions, int32 (int64 for tensors past 2^31 entries)
     * @param delta float32 deltas at those positions
     */
    public record Entry(NDArray positions, NDArray delta) {}

    private final NDManager manager;
    private final Map<String, Entry> entries;
    private final BaseFingerprint fingerprint;
    private final String method;
    private final double threshold;
    private final String configJson;
    private final long steps;

    /** Takes ownership of the entries' arrays, which must belong to {@code manager}. */
    SparseAdapter(NDManager manager, Map<String, Entry> entries, BaseFingerprint fingerprint, String method,
            double threshold, String configJson, long steps) {
        this.manager = manager;
        this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        this.fingerprint = fingerprint;
        this.method = method;
        this.threshold = threshold;
        this.configJson = configJson;
        this.steps = steps;
    }

    /** The tuned tensors' changes, by parameter name, in model order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The base this adapter belongs to. */
    public BaseFingerprint fingerprint() {
        return fingerprint;
    }

    /** The method that produced it ({@code sara}, {@code random-sparse}, {@code full}, ...). */
    public String method() {
        return method;
    }

    /** The selection threshold θ, or NaN when the method has none. */
    public double threshold() {
        return threshold;
    }

    /** The training configuration as JSON ({@code {}} when unknown). */
    public String configJson() {
        return configJson;
    }

    /** Training steps done when it was saved. */
    public long steps() {
        return steps;
    }

    /** Number of changed entries over all tensors. */
    public long count() {
        return entries.values().stream().mapToLong(e -> e.positions().size()).sum();
    }

    /** A copy with every delta multiplied by {@code alpha} (owned by a new sub-manager of this one's parent). */
    public SparseAdapter scaled(double alpha) {
        NDManager out = manager.getParentManager().newSubManager();
        Map<String, Entry> scaled = new LinkedHashMap<>();
        entries.forEach((name, e) -> {
            NDArray positions = e.positions().duplicate();
            NDArray delta = e.delta().mul((float) alpha);
            NDScope.unregister(positions, delta);
            positions.attach(out);
            delta.attach(out);
            scaled.put(name, new Entry(positions, delta));
        });
        return new SparseAdapter(out, scaled, fingerprint, method, threshold, configJson, steps);
    }

    /**
     * Σᵢ αᵢ·ΔPᵢ as one adapter: positions are the union, deltas the weighted sums (in float32). The
     * adapters must come from the same base wherever they share a tensor.
     *
     * @throws IllegalArgumentException naming the tensor when two adapters disagree about the base
     */
    public static SparseAdapter combine(List<SparseAdapter> adapters, List<Double> alphas) {
        if (adapters.isEmpty() || adapters.size() != alphas.size()) {
            throw new IllegalArgumentException("need one alpha per adapter, got " + adapters.size() + " adapters and "
                    + alphas.size() + " alphas");
        }
        Map<String, BaseFingerprint.TensorPrint> prints = new LinkedHashMap<>();
        for (int i = 0; i < adapters.size(); i++) {
            BaseFingerprint f = adapters.get(i).fingerprint();
            if (i > 0) {
                new BaseFingerprint(prints).checkCompatible(restrictTo(f, prints), "adapter " + (i + 1) + " of " + adapters.size());
            }
            f.tensors().forEach(prints::putIfAbsent);
        }
        NDManager out = adapters.get(0).manager.getParentManager().newSubManager();
        Map<String, Entry> sums = new LinkedHashMap<>();
        for (Map.Entry<String, BaseFingerprint.TensorPrint> t : prints.entrySet()) {
            long numel = t.getValue().shape().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray dense = out.zeros(new Shape(numel), DataType.FLOAT32);
                NDArray touched = out.zeros(new Shape(numel), DataType.FLOAT32);
                boolean any = false;
                for (int i = 0; i < adapters.size(); i++) {
                    Entry e = adapters.get(i).entries().get(t.getKey());
                    if (e == null) {
                        continue;
                    }
                    any = true;
                    NDIndex at = new NDIndex("{}", SparseAdaptation.int64(e.positions()));
                    dense.set(at, dense.get(at).addi(e.delta().mul(alphas.get(i).floatValue())));
                    touched.set(at, 1f);
                }
                if (!any) {
                    continue;
                }
                NDArray union = touched.nonzero().reshape(-1);
                NDArray positions = union.toType(SparseSelection.indexType(numel), false);
                NDArray delta = dense.get(new NDIndex("{}", union));
                NDScope.unregister(positions, delta);
                sums.put(t.getKey(), new Entry(positions, delta));
            }
        }
        return new SparseAdapter(out, sums, new BaseFingerprint(prints), "combined", Double.NaN, "{}", 0);
    }

    private static BaseFingerprint restrictTo(BaseFingerprint f, Map<String, BaseFingerprint.TensorPrint> names) {
        Map<String, BaseFingerprint.TensorPrint> shared = new LinkedHashMap<>();
        f.tensors().forEach((name, p) -> {
            if (names.containsKey(name)) {
                shared.put(name, p);
            }
        });
        return new BaseFingerprint(shared);
    }

    /** {@link #applyTo(Module, double)} with α = 1: the tuned model. */
    public void applyTo(Module module) {
        applyTo(module, 1.0);
    }

    /**
     * Sets P = P0 + α·ΔP in the module's stored tensors, after checking that the module holds
     * exactly the base this adapter was trained on (shapes and value hashes of every tuned tensor).
     * To apply several adapters, {@link #combine} them and apply the result once: after one is
     * applied the module is no longer the base of the next.
     *
     * @throws IllegalArgumentException naming each tensor that is missing or differs
     * @throws IllegalStateException if a tuned parameter has a fine-tuning adaptation installed
     */
    public void applyTo(Module module, double alpha) {
        Map<String, Parameter> params = module.namedParameters();
        Map<String, NDArray> base = new LinkedHashMap<>();
        for (String name : fingerprint.tensors().keySet()) {
            Parameter p = params.get(name);
            if (p != null) {
                if (p.adaptation() != null) {
                    throw new IllegalStateException("parameter '" + name + "' is being fine-tuned ("
                            + p.adaptation().getClass().getSimpleName() + "): merge() or close() the tuner first");
                }
                base.put(name, p.data());
            }
        }
        fingerprint.check(base, "adapter (" + method + ", " + count() + " entries)");
        float a = (float) alpha;
        entries.forEach((name, e) -> {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray flat = base.get(name).reshape(-1); // a view: the stored tensor is updated in place
                NDIndex at = new NDIndex("{}", SparseAdaptation.int64(e.positions()));
                flat.set(at, flat.get(at).addi(e.delta().mul(a)));
            }
        });
    }

    /** Writes the adapter with float32 deltas. */
    public void write(Path file) {
        write(file, SafetensorsDType.F32);
    }

    /**
     * Writes the adapter atomically; {@code deltaType} F32 (exact), F16 or BF16 (half the size,
     * rounded; base + adapter is then no longer bit-identical to the tuned model).
     */
    public void write(Path file, SafetensorsDType deltaType) {
        write(file, deltaType, Map.of());
    }

    /**
     * As {@link #write(Path, SafetensorsDType)}, adding {@code extraMetadata} (such as the
     * {@code training} record of the run that made the adapter) to the file's metadata.
     */
    public void write(Path file, SafetensorsDType deltaType, Map<String, String> extraMetadata) {
        if (deltaType != SafetensorsDType.F32 && deltaType != SafetensorsDType.F16 && deltaType != SafetensorsDType.BF16) {
            throw new IllegalArgumentException("unsupported value " + deltaType + " for delta type (supported: F32, F16, BF16)");
        }
        Map<String, RawTensor> tensors = new LinkedHashMap<>();
        entries.forEach((name, e) -> {
            tensors.put(name + IDX_SUFFIX, RawTensor.of(e.positions()));
            tensors.put(name + DELTA_SUFFIX, RawTensor.of(e.delta(), deltaType));
        });
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", FORMAT);
        metadata.put("format_version", Integer.toString(FORMAT_VERSION));
        metadata.put("method", method);
        metadata.put("threshold", Double.isNaN(threshold) ? "" : Double.toString(threshold));
        metadata.put("config", configJson);
        metadata.put("steps", Long.toString(steps));
        metadata.put("count", Long.toString(count()));
        metadata.put("base_fingerprint", fingerprint.toJson());
        extraMetadata.forEach(metadata::putIfAbsent);
        try {
            SafetensorsWriter.writeRaw(file, tensors, metadata);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write adapter " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads and validates an adapter file: format and version, one positions/deltas pair per
     * tensor of the fingerprint, types, lengths, positions sorted and inside the tensor.
     *
     * @param parent the new adapter's arrays are owned by a sub-manager of it
     * @throws IllegalArgumentException naming the file, the tensor or the key that is wrong
     */
    public static SparseAdapter read(Path file, NDManager parent) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> meta = f.metadata();
            String format = meta.get("format");
            if (!FORMAT.equals(format)) {
                throw new IllegalArgumentException(file + ": not a sara4j sparse adapter (metadata \"format\" is "
                        + (format == null ? "missing" : "'" + format + "'") + ", expected '" + FORMAT + "')");
            }
            int version = Integer.parseInt(required(meta, "format_version", file));
            if (version < 1 || version > FORMAT_VERSION) {
                throw new IllegalArgumentException(file + ": adapter format_version " + version
                        + " is not supported (this sara4j reads 1.." + FORMAT_VERSION + ")");
            }
            BaseFingerprint fingerprint = BaseFingerprint.fromJson(required(meta, "base_fingerprint", file), file.toString());
            checkNames(f.names(), fingerprint, file);
            NDManager manager = parent.newSubManager();
            try {
                Map<String, Entry> entries = new LinkedHashMap<>();
                for (Map.Entry<String, BaseFingerprint.TensorPrint> t : fingerprint.tensors().entrySet()) {
                    String name = t.getKey();
                    if (!f.contains(name + IDX_SUFFIX)) {
                        continue;
                    }
                    long numel = t.getValue().shape().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
                    entries.put(name, readEntry(f, name, numel, manager));
                }
                String threshold = meta.getOrDefault("threshold", "");
                return new SparseAdapter(manager, entries, fingerprint, required(meta, "method", file),
                        threshold.isEmpty() ? Double.NaN : Double.parseDouble(threshold),
                        meta.getOrDefault("config", "{}"), Long.parseLong(meta.getOrDefault("steps", "0")));
            } catch (RuntimeException e) {
                manager.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read adapter " + file + ": " + e.getMessage(), e);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": malformed number in adapter metadata: " + e.getMessage(), e);
        }
    }

    private static void checkNames(List<String> names, BaseFingerprint fingerprint, Path file) {
        List<String> problems = new ArrayList<>();
        for (String n : names) {
            String base = n.endsWith(IDX_SUFFIX) ? n.substring(0, n.length() - IDX_SUFFIX.length())
                    : n.endsWith(DELTA_SUFFIX) ? n.substring(0, n.length() - DELTA_SUFFIX.length()) : null;
            if (base == null) {
                problems.add("unexpected tensor '" + n + "' (names end in " + IDX_SUFFIX + " or " + DELTA_SUFFIX + ")");
            } else if (!fingerprint.tensors().containsKey(base)) {
                problems.add("tensor '" + n + "' has no entry in base_fingerprint");
            } else if (!names.contains(base + IDX_SUFFIX) || !names.contains(base + DELTA_SUFFIX)) {
                problems.add("'" + base + "' needs both " + IDX_SUFFIX + " and " + DELTA_SUFFIX);
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(file + ": malformed adapter:\n  " + String.join("\n  ", problems));
        }
    }

    private static Entry readEntry(SafetensorsFile f, String name, long numel, NDManager manager) {
        TensorInfo idxInfo = f.info(name + IDX_SUFFIX);
        TensorInfo deltaInfo = f.info(name + DELTA_SUFFIX);
        String idxName = f.path() + ": tensor '" + name + IDX_SUFFIX + "'";
        if (idxInfo.dtype() != SafetensorsDType.I32 && idxInfo.dtype() != SafetensorsDType.I64) {
            throw new IllegalArgumentException(idxName + " must be I32 or I64, found " + idxInfo.dtype());
        }
        if (deltaInfo.dtype() != SafetensorsDType.F32 && deltaInfo.dtype() != SafetensorsDType.F16
                && deltaInfo.dtype() != SafetensorsDType.BF16) {
            throw new IllegalArgumentException(f.path() + ": tensor '" + name + DELTA_SUFFIX + "' must be F32, F16 or BF16, found "
                    + deltaInfo.dtype());
        }
        if (idxInfo.shape().length != 1 || deltaInfo.shape().length != 1 || idxInfo.shape()[0] != deltaInfo.shape()[0]) {
            throw new IllegalArgumentException(f.path() + ": '" + name + "' positions and deltas must be 1-D of equal length, found "
                    + java.util.Arrays.toString(idxInfo.shape()) + " and " + java.util.Arrays.toString(deltaInfo.shape()));
        }
        NDArray positions = f.load(name + IDX_SUFFIX, manager);
        NDArray delta = f.load(name + DELTA_SUFFIX, manager, DataType.FLOAT32);
        NDScope.unregister(positions, delta); // owned by the adapter, not by a scope the caller has open
        if (positions.size() > 0) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray p = positions.toType(DataType.INT64, false);
                long first = p.get(0).getLong();
                long last = p.get(p.size() - 1).getLong();
                boolean ascending = p.size() < 2 || p.get("1:").sub(p.get(":-1")).min().getLong() > 0;
                if (!ascending || first < 0 || last >= numel) {
                    throw new IllegalArgumentException(idxName + ": positions must be strictly ascending in [0, "
                            + numel + "), found first " + first + ", last " + last + (ascending ? "" : ", not ascending"));
                }
            }
        }
        return new Entry(positions, delta);
    }

    private static String required(Map<String, String> meta, String key, Path file) {
        String v = meta.get(key);
        if (v == null) {
            throw new IllegalArgumentException(file + ": adapter metadata lacks \"" + key + "\"");
        }
        return v;
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "SparseAdapter(%s, %d tensors, %d entries)", method, entries.size(), count());
    }
}
