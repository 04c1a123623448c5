package io.sara4j.diffusion.scheduler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Test-only reader of the parity fixtures' {@code .safetensors} files (8-byte little-endian header
 * length, JSON header, raw little-endian data; F32 and I64 only). Stand-in with the same calls as
 * {@code io.sara4j.core.io.SafetensorsFile} until that class is on main; replace it then.
 */
final class FixtureSafetensors implements AutoCloseable {
    private final Path file;
    private final JsonNode header;
    private final ByteBuffer data;

    private FixtureSafetensors(Path file, JsonNode header, ByteBuffer data) {
        this.file = file;
        this.header = header;
        this.data = data;
    }

    static FixtureSafetensors open(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = Math.toIntExact(buf.getLong(0));
        JsonNode header = new ObjectMapper().readTree(new String(bytes, 8, headerLength, StandardCharsets.UTF_8));
        ByteBuffer data = ByteBuffer.wrap(bytes, 8 + headerLength, bytes.length - 8 - headerLength).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        return new FixtureSafetensors(file, header, data);
    }

    Set<String> names() {
        Set<String> out = new TreeSet<>();
        for (Iterator<String> it = header.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!name.equals("__metadata__")) {
                out.add(name);
            }
        }
        return out;
    }

    Map<String, String> metadata() {
        JsonNode m = header.get("__metadata__");
        return m == null ? Map.of() : new ObjectMapper().convertValue(m, new TypeReference<Map<String, String>>() {});
    }

    NDArray load(String name, NDManager manager) {
        JsonNode entry = header.get(name);
        if (entry == null) {
            throw new IllegalArgumentException(file + " has no tensor " + name + "; it has " + names());
        }
        long[] dims = new long[entry.get("shape").size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = entry.get("shape").get(i).asLong();
        }
        int begin = entry.get("data_offsets").get(0).asInt();
        int end = entry.get("data_offsets").get(1).asInt();
        ByteBuffer slice = data.duplicate().position(begin).limit(end).slice().order(ByteOrder.LITTLE_ENDIAN);
        Shape shape = new Shape(dims);
        switch (entry.get("dtype").asText()) {
            case "F32": {
                float[] v = new float[(end - begin) / 4];
                slice.asFloatBuffer().get(v);
                return manager.create(v, shape);
            }
            case "I64": {
                long[] v = new long[(end - begin) / 8];
                slice.asLongBuffer().get(v);
                return manager.create(v, shape);
            }
            default:
                throw new IllegalArgumentException(file + ": tensor " + name + " has dtype "
                        + entry.get("dtype").asText() + "; this test reader supports F32 and I64");
        }
    }

    @Override
    public void close() {
        // Everything was read into memory at open.
    }
}
