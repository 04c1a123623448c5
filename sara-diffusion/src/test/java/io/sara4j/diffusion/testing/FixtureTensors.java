package io.sara4j.diffusion.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Test resources: parity fixture folders on the class path, and the F32/I64 tensors of a safetensors file. */
public final class FixtureTensors {
    private FixtureTensors() {}

    /** The folder of a test resource, e.g. {@code parity/clip_text_tiny}. */
    public static Path resource(String name) {
        try {
            return Path.of(FixtureTensors.class.getClassLoader().getResource(name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test resource missing: " + name, e);
        }
    }

    /**
     * Reads every F32 and I64 tensor of {@code file} (the fixtures hold no other types); a
     * deliberately small reader independent of the production one, for reading fixture outputs.
     */
    public static Map<String, NDArray> read(Path file, NDManager manager) throws IOException {
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) all.getLong(0);
        JsonNode header = new ObjectMapper().readTree(new String(all.array(), 8, headerLength, StandardCharsets.UTF_8));
        int base = 8 + headerLength;
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : header.properties()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            JsonNode info = e.getValue();
            long[] dims = new long[info.get("shape").size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = info.get("shape").get(i).asLong();
            }
            int start = base + info.get("data_offsets").get(0).asInt();
            int end = base + info.get("data_offsets").get(1).asInt();
            ByteBuffer slice = all.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(start).limit(end).slice()
                    .order(ByteOrder.LITTLE_ENDIAN);
            switch (info.get("dtype").asText()) {
                case "F32" -> {
                    float[] v = new float[(end - start) / 4];
                    slice.asFloatBuffer().get(v);
                    out.put(e.getKey(), manager.create(v, new Shape(dims)));
                }
                case "I64" -> {
                    long[] v = new long[(end - start) / 8];
                    slice.asLongBuffer().get(v);
                    out.put(e.getKey(), manager.create(v, new Shape(dims)));
                }
                default -> throw new IllegalArgumentException(file + ": fixture reader handles F32/I64, found "
                        + info.get("dtype") + " for " + e.getKey());
            }
        }
        return out;
    }
}
