package io.sara4j.core.peft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.core.nn.HostArrays;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Identifies the base model an adapter was trained on: for every tuned tensor its shape and the
 * SHA-256 of its original values (float32, little-endian, row-major). An adapter only makes sense
 * on the exact weights it was trained from (its deltas are relative to P0, its positions were chosen
 * from |P0|), so loading refuses any other base and names the tensor that differs.
 *
 * @param tensors per tuned tensor name, in model order
 */
public record BaseFingerprint(Map<String, TensorPrint> tensors) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One tensor's identity.
     *
     * @param shape the tensor's shape
     * @param sha256 lower-case hex SHA-256 of its values as float32 little-endian bytes
     */
    public record TensorPrint(List<Long> shape, String sha256) {
        /** Copies the shape. */
        public TensorPrint {
            shape = List.copyOf(shape);
        }
    }

    /** Keeps the order of {@code tensors}. */
    public BaseFingerprint {
        tensors = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /** Fingerprints the given tensors (their current values are taken as the base). */
    public static BaseFingerprint of(Map<String, NDArray> tensors) {
        Map<String, TensorPrint> out = new LinkedHashMap<>();
        tensors.forEach((name, t) -> out.put(name, print(t)));
        return new BaseFingerprint(out);
    }

    /** The shape and hash of one tensor. */
    public static TensorPrint print(NDArray tensor) {
        List<Long> shape = new ArrayList<>();
        for (long d : tensor.getShape().getShape()) {
            shape.add(d);
        }
        return new TensorPrint(shape, sha256(tensor));
    }

    /** SHA-256 of the tensor's values as float32 little-endian bytes, row-major. */
    public static String sha256(NDArray tensor) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks SHA-256", e);
        }
        HostArrays.readInPlace(tensor, DataType.FLOAT32, bytes -> {
            if (bytes.order() == ByteOrder.LITTLE_ENDIAN) {
                digest.update(bytes);
            } else {
                ByteBuffer little = ByteBuffer.allocate(bytes.remaining()).order(ByteOrder.LITTLE_ENDIAN);
                little.asFloatBuffer().put(bytes.asFloatBuffer());
                digest.update(little);
            }
        });
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The JSON form stored in adapter metadata: {@code {"name": {"shape": [..], "sha256": ".."}}}. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        tensors.forEach((name, p) -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("shape", p.shape());
            entry.put("sha256", p.sha256());
            m.put(name, entry);
        });
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Parses {@link #toJson()}.
     *
     * @throws IllegalArgumentException naming {@code source} when the JSON is malformed
     */
    public static BaseFingerprint fromJson(String json, String source) {
        try {
            Map<String, Map<String, Object>> raw = JSON.readValue(json, new TypeReference<LinkedHashMap<String, Map<String, Object>>>() {});
            Map<String, TensorPrint> out = new LinkedHashMap<>();
            for (Map.Entry<String, Map<String, Object>> e : raw.entrySet()) {
                Object shape = e.getValue().get("shape");
                Object hash = e.getValue().get("sha256");
                if (!(shape instanceof List<?> dims) || !(hash instanceof String h)) {
                    throw new IllegalArgumentException(source + ": base_fingerprint entry '" + e.getKey()
                            + "' needs \"shape\" (list) and \"sha256\" (string)");
                }
                List<Long> longs = new ArrayList<>();
                for (Object d : dims) {
                    longs.add(((Number) d).longValue());
                }
                out.put(e.getKey(), new TensorPrint(longs, h));
            }
            return new BaseFingerprint(out);
        } catch (JsonProcessingException | ClassCastException e) {
            throw new IllegalArgumentException(source + ": malformed base_fingerprint metadata: " + e.getMessage(), e);
        }
    }

    /**
     * Checks that {@code base} holds, for every fingerprinted tensor, a tensor of the same shape and
     * the same values.
     *
     * @param base the candidate base tensors by name (the module's stored tensors)
     * @param source what is being loaded, for the message
     * @throws IllegalArgumentException listing every missing tensor, shape and value mismatch by name
     */
    public void check(Map<String, NDArray> base, String source) {
        List<String> problems = new ArrayList<>();
        tensors.forEach((name, expected) -> {
            NDArray actual = base.get(name);
            if (actual == null) {
                problems.add(name + ": not in the model");
                return;
            }
            List<Long> shape = new ArrayList<>();
            for (long d : actual.getShape().getShape()) {
                shape.add(d);
            }
            if (!shape.equals(expected.shape())) {
                problems.add(name + ": shape expected " + expected.shape() + ", found " + shape);
                return;
            }
            String hash = sha256(actual);
            if (!hash.equals(expected.sha256())) {
                problems.add(name + ": values differ from the base the adapter was trained on (sha256 expected "
                        + abbreviate(expected.sha256()) + ", found " + abbreviate(hash) + ")");
            }
        });
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(source + " does not fit this model (" + problems.size()
                    + " tensor(s)):\n  " + String.join("\n  ", problems));
        }
    }

    /**
     * {@link #check(Map, String)} against the stored values of {@code module}'s parameters (a
     * fingerprinted name the module lacks is reported as missing).
     */
    public void check(Module module, String source) {
        Map<String, Parameter> params = module.namedParameters();
        Map<String, NDArray> base = new LinkedHashMap<>();
        tensors.keySet().forEach(n -> {
            if (params.containsKey(n)) {
                base.put(n, params.get(n).data());
            }
        });
        check(base, source);
    }

    /**
     * Checks that {@code other} describes the same base for every tensor it names.
     *
     * @throws IllegalArgumentException listing each tensor that is missing here or differs
     */
    public void checkCompatible(BaseFingerprint other, String source) {
        List<String> problems = new ArrayList<>();
        other.tensors.forEach((name, theirs) -> {
            TensorPrint ours = tensors.get(name);
            if (ours == null) {
                problems.add(name + ": not tuned here");
            } else if (!ours.shape().equals(theirs.shape())) {
                problems.add(name + ": shape expected " + ours.shape() + ", found " + theirs.shape());
            } else if (!ours.sha256().equals(theirs.sha256())) {
                problems.add(name + ": trained on different base values (sha256 " + abbreviate(theirs.sha256())
                        + ", this base " + abbreviate(ours.sha256()) + ")");
            }
        });
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(source + " does not fit (" + problems.size()
                    + " tensor(s)):\n  " + String.join("\n  ", problems));
        }
    }

    private static String abbreviate(String hash) {
        return hash.length() > 12 ? hash.substring(0, 12) + "…" : hash;
    }
}
