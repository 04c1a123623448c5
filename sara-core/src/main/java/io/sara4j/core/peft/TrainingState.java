package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.core.io.SafetensorsDType;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.io.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Training-state files ({@code format = sara4j.training-state}): everything a {@link FineTuner}
 * needs to continue a run bit for bit, as opposed to an adapter file, which holds only the trained
 * change. Layout in {@code docs/adapter-format.md} ("Training state files").
 *
 * <p>Metadata: {@code format}, {@code format_version}, {@code method}, {@code config} (the
 * configuration as JSON, compared field by field when loading), {@code steps} (completed steps; the
 * learning-rate schedule, Adam's bias correction and every per-step random draw derive from it) and
 * {@code base_fingerprint}. Tensors: the method's values and index sets, and for every optimizer leaf
 * {@code <leaf>.exp_avg} and {@code <leaf>.exp_avg_sq} (PyTorch's names for Adam's moments).
 */
final class TrainingState {
    /** Value of the {@code format} metadata key. */
    static final String FORMAT = "sara4j.training-state";
    /** The layout version this code writes and the newest it reads. */
    static final int FORMAT_VERSION = 1;
    /** Suffix of a leaf's first Adam moment. */
    static final String EXP_AVG = ".exp_avg";
    /** Suffix of a leaf's second Adam moment. */
    static final String EXP_AVG_SQ = ".exp_avg_sq";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainingState() {}

    /** Writes {@code tensors} with the state metadata, atomically (the old file survives a failure). */
    static void write(Path file, Map<String, NDArray> tensors, String method, String configJson, long steps,
            BaseFingerprint fingerprint) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("format_version", Integer.toString(FORMAT_VERSION));
        meta.put("method", method);
        meta.put("config", configJson);
        meta.put("steps", Long.toString(steps));
        meta.put("base_fingerprint", fingerprint.toJson());
        try {
            SafetensorsWriter.write(file, tensors, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write training state " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The fields in which two configuration records differ, as {@code path: file value, here value}
     * lines (dotted paths, list indices in brackets); empty when they are equal.
     */
    static List<String> configDifferences(String inFile, String here, Path file) {
        JsonNode theirs;
        JsonNode ours;
        try {
            theirs = JSON.readTree(inFile);
            ours = JSON.readTree(here);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": malformed \"config\" metadata: " + e.getOriginalMessage(), e);
        }
        List<String> out = new ArrayList<>();
        diff("", theirs, ours, out);
        return out;
    }

    private static void diff(String path, JsonNode theirs, JsonNode ours, List<String> out) {
        if (theirs != null && ours != null && theirs.isObject() && ours.isObject()) {
            Set<String> names = new TreeSet<>();
            theirs.fieldNames().forEachRemaining(names::add);
            ours.fieldNames().forEachRemaining(names::add);
            for (String n : names) {
                diff(path.isEmpty() ? n : path + "." + n, theirs.get(n), ours.get(n), out);
            }
        } else if (theirs != null && ours != null && theirs.isArray() && ours.isArray() && theirs.size() == ours.size()) {
            for (int i = 0; i < theirs.size(); i++) {
                diff(path + "[" + i + "]", theirs.get(i), ours.get(i), out);
            }
        } else if (!sameValue(theirs, ours)) {
            out.add("'" + path + "' is " + (theirs == null ? "absent" : theirs) + " in the file, "
                    + (ours == null ? "absent" : ours) + " here");
        }
    }

    /** Equal JSON values; numbers compare by value (1e-3 equals 0.001). */
    private static boolean sameValue(JsonNode a, JsonNode b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }

    /**
     * A state file opened for loading, its metadata already checked against the tuner. Every
     * {@link #require} records the tensor as expected, so that {@link #requireNoOthers()} can refuse
     * files with tensors this tuner does not know. Nothing is changed in the tuner while validating.
     */
    static final class Reader implements AutoCloseable {
        private final SafetensorsFile f;
        private final Path path;
        private final long steps;
        private final Set<String> expected = new HashSet<>();

        private Reader(SafetensorsFile f, Path path, long steps) {
            this.f = f;
            this.path = path;
            this.steps = steps;
        }

        /**
         * Opens {@code path} and checks, in order: format and version, method, base fingerprint (the
         * same tuned tensors with the same shapes and base values), configuration (every field), and
         * the step count.
         *
         * @throws IllegalArgumentException naming the file and the key, field or tensor that differs
         */
        static Reader open(Path path, String method, String configJson, BaseFingerprint fingerprint) {
            SafetensorsFile f;
            try {
                f = SafetensorsFile.open(path);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read training state " + path + ": " + e.getMessage(), e);
            }
            try {
                Map<String, String> meta = f.metadata();
                String format = meta.get("format");
                if (!FORMAT.equals(format)) {
                    throw new IllegalArgumentException(path + ": not a sara4j training state (metadata \"format\" is "
                            + (format == null ? "missing" : "'" + format + "'") + ", expected '" + FORMAT + "'"
                            + (SparseAdapter.FORMAT.equals(format) || Lora.FORMAT.equals(format)
                                    ? "; this is an adapter file, read it with load(path)" : "") + ")");
                }
                int version = Integer.parseInt(required(meta, "format_version", path));
                if (version < 1 || version > FORMAT_VERSION) {
                    throw new IllegalArgumentException(path + ": training state format_version " + version
                            + " is not supported (this sara4j reads 1.." + FORMAT_VERSION + ")");
                }
                String theirMethod = required(meta, "method", path);
                if (!theirMethod.equals(method)) {
                    throw new IllegalArgumentException(path + ": metadata \"method\" is '" + theirMethod
                            + "', this tuner is '" + method + "'");
                }
                BaseFingerprint theirs = BaseFingerprint.fromJson(required(meta, "base_fingerprint", path), path.toString());
                List<String> missing = new ArrayList<>();
                fingerprint.tensors().keySet().forEach(n -> {
                    if (!theirs.tensors().containsKey(n)) {
                        missing.add(n + ": tuned here, not in the state file");
                    }
                });
                if (!missing.isEmpty()) {
                    throw new IllegalArgumentException(path + ": base_fingerprint does not fit this tuner ("
                            + missing.size() + " tensor(s)):\n  " + String.join("\n  ", missing));
                }
                fingerprint.checkCompatible(theirs, path + ": base_fingerprint");
                List<String> differences = configDifferences(required(meta, "config", path), configJson, path);
                if (!differences.isEmpty()) {
                    throw new IllegalArgumentException(path + ": saved with a different configuration (metadata \"config\"); "
                            + "resuming needs the same settings:\n  " + String.join("\n  ", differences));
                }
                long steps = Long.parseLong(required(meta, "steps", path));
                if (steps < 0) {
                    throw new IllegalArgumentException(path + ": metadata \"steps\" must be >= 0, got " + steps);
                }
                return new Reader(f, path, steps);
            } catch (NumberFormatException e) {
                closeQuietly(f);
                throw new IllegalArgumentException(path + ": malformed number in training state metadata: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                closeQuietly(f);
                throw e;
            }
        }

        /** Completed steps when the state was saved. */
        long steps() {
            return steps;
        }

        /** The file. */
        Path path() {
            return path;
        }

        /**
         * Checks that tensor {@code name} exists with one of {@code dtypes} and shape {@code shape}.
         *
         * @throws IllegalArgumentException naming the tensor, the expected and the found type or shape
         */
        TensorInfo require(String name, Shape shape, SafetensorsDType... dtypes) {
            TensorInfo info = require(name, dtypes);
            if (!Arrays.equals(info.shape(), shape.getShape())) {
                throw new IllegalArgumentException(path + ": tensor '" + name + "' has shape " + Arrays.toString(info.shape())
                        + ", this tuner needs " + Arrays.toString(shape.getShape()));
            }
            return info;
        }

        /** Checks that tensor {@code name} exists with one of {@code dtypes} and is 1-D. */
        TensorInfo requireVector(String name, SafetensorsDType... dtypes) {
            TensorInfo info = require(name, dtypes);
            if (info.shape().length != 1) {
                throw new IllegalArgumentException(path + ": tensor '" + name + "' must be 1-D, found shape "
                        + Arrays.toString(info.shape()));
            }
            return info;
        }

        private TensorInfo require(String name, SafetensorsDType... dtypes) {
            if (!f.contains(name)) {
                throw new IllegalArgumentException(path + ": training state lacks tensor '" + name + "'");
            }
            TensorInfo info = f.info(name);
            if (!Arrays.asList(dtypes).contains(info.dtype())) {
                throw new IllegalArgumentException(path + ": tensor '" + name + "' is " + info.dtype() + ", expected "
                        + (dtypes.length == 1 ? dtypes[0] : "one of " + Arrays.toString(dtypes)));
            }
            expected.add(name);
            return info;
        }

        /** The tensor (after {@link #require}) in {@code type}, owned by {@code manager}. */
        NDArray load(String name, NDManager manager, DataType type) {
            return f.load(name, manager, type);
        }

        /** The positions tensor {@code name} (after {@link #requireVector}) as Java longs. */
        long[] loadPositions(String name, NDManager manager) {
            try (NDArray a = f.load(name, manager, DataType.INT64)) {
                return a.toLongArray();
            }
        }

        /** @throws IllegalArgumentException listing every tensor of the file that no check asked for */
        void requireNoOthers() {
            List<String> unexpected = new ArrayList<>();
            for (String n : f.names()) {
                if (!expected.contains(n)) {
                    unexpected.add(n);
                }
            }
            if (!unexpected.isEmpty()) {
                throw new IllegalArgumentException(path + ": training state holds tensors this tuner does not have: "
                        + unexpected);
            }
        }

        @Override
        public void close() {
            closeQuietly(f);
        }

        private static void closeQuietly(SafetensorsFile f) {
            try {
                f.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static String required(Map<String, String> meta, String key, Path path) {
            String v = meta.get(key);
            if (v == null) {
                throw new IllegalArgumentException(path + ": training state metadata lacks \"" + key + "\"");
            }
            return v;
        }
    }

    /**
     * Offsets into {@code positions} of each entry of {@code subset}; both strictly ascending.
     *
     * @return null if {@code subset} is not a strictly ascending subset of {@code positions}
     */
    static long[] offsetsOf(long[] subset, long[] positions) {
        long[] out = new long[subset.length];
        int j = 0;
        for (int i = 0; i < subset.length; i++) {
            if (i > 0 && subset[i] <= subset[i - 1]) {
                return null;
            }
            while (j < positions.length && positions[j] < subset[i]) {
                j++;
            }
            if (j == positions.length || positions[j] != subset[i]) {
                return null;
            }
            out[i] = j;
        }
        return out;
    }
}
