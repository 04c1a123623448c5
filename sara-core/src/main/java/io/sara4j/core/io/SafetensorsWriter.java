package io.sara4j.core.io;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Writes safetensors files that any safetensors implementation reads.
 *
 * <p>Layout, as the reference implementation (huggingface/safetensors) writes it:
 * <ul>
 *   <li>8-byte little-endian header length N, then N bytes of compact UTF-8 JSON, padded with
 *       spaces so that N (and so the data start) is a multiple of 8;</li>
 *   <li>{@code __metadata__} first (only when non-empty, keys sorted so that equal maps give equal
 *       bytes), then the tensors in data order;</li>
 *   <li>data laid out contiguously in the reference's order: by dtype, descending in the order of
 *       the reference's dtype enum (I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL), then by name.
 *       Element sizes never increase along that order, so with the 8-aligned data start every
 *       tensor begins at a multiple of its element size; and files are byte-identical to what the
 *       reference writes for the same tensors and metadata key.</li>
 * </ul>
 * Names come from a map, so they are unique by construction; {@code "__metadata__"} is refused.
 * The file appears atomically ({@link AtomicFiles}); on any failure the previous file, if any, is
 * left as it was. Checks that need no I/O (names, types, sizes) run before anything is created.
 */
public final class SafetensorsWriter {
    private static final JsonFactory JSON = new JsonFactory();
    private static final int CHUNK = 1 << 20;

    private SafetensorsWriter() {}

    /**
     * Writes {@code tensors}, each in its own data type (one of the {@link SafetensorsDType}s),
     * with string metadata. Arrays are copied out of the engine one at a time while writing, so the
     * heap holds at most one tensor's bytes.
     */
    public static void write(Path path, Map<String, NDArray> tensors, Map<String, String> metadata)
            throws IOException {
        DTypeBridge.requireLittleEndianHost();
        List<Entry> entries = new ArrayList<>(tensors.size());
        tensors.forEach((name, array) -> {
            checkName(name);
            Objects.requireNonNull(array, () -> "tensor '" + name + "' is null");
            SafetensorsDType dtype;
            try {
                dtype = SafetensorsDType.of(array.getDataType());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage(), e);
            }
            entries.add(new Entry(name, dtype, array.getShape().getShape(), array::toByteBuffer));
        });
        write(path, entries, metadata);
    }

    /** Writes tensors given as raw little-endian bytes ({@link RawTensor}), with string metadata. */
    public static void writeRaw(Path path, Map<String, RawTensor> tensors, Map<String, String> metadata)
            throws IOException {
        List<Entry> entries = new ArrayList<>(tensors.size());
        tensors.forEach((name, raw) -> {
            checkName(name);
            Objects.requireNonNull(raw, () -> "tensor '" + name + "' is null");
            entries.add(new Entry(name, raw.dtype(), raw.shape(), raw::data));
        });
        write(path, entries, metadata);
    }

    private static void write(Path path, List<Entry> entries, Map<String, String> metadata) throws IOException {
        metadata.forEach((k, v) -> {
            if (k == null || v == null) {
                throw new IllegalArgumentException("metadata keys and values must not be null (key " + k + ")");
            }
        });
        entries.sort(Comparator.comparingInt((Entry e) -> referenceRank(e.dtype)).thenComparing(Entry::name));
        byte[] header = header(entries, new TreeMap<>(metadata));
        AtomicFiles.write(path, out -> {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            out.write(header);
            for (Entry e : entries) {
                writeData(out, e);
            }
        });
    }

    /** The JSON header, space-padded to a multiple of 8 bytes. */
    private static byte[] header(List<Entry> entries, Map<String, String> metadata) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(bytes)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart(SafetensorsHeader.METADATA_KEY);
                for (Map.Entry<String, String> m : metadata.entrySet()) {
                    g.writeStringField(m.getKey(), m.getValue());
                }
                g.writeEndObject();
            }
            long offset = 0;
            for (Entry e : entries) {
                long end = offset + e.byteSize();
                g.writeObjectFieldStart(e.name);
                g.writeStringField("dtype", e.dtype.name());
                g.writeFieldName("shape");
                g.writeArray(e.shape, 0, e.shape.length);
                g.writeFieldName("data_offsets");
                g.writeArray(new long[] {offset, end}, 0, 2);
                g.writeEndObject();
                offset = end;
            }
            g.writeEndObject();
        }
        int pad = (8 - bytes.size() % 8) % 8;
        for (int i = 0; i < pad; i++) {
            bytes.write(' ');
        }
        return bytes.toByteArray();
    }

    /** Copies one tensor's bytes in 1 MiB slices (large single writes make the JDK malloc their size). */
    private static void writeData(OutputStream out, Entry e) throws IOException {
        ByteBuffer data = e.bytes.get();
        if (data.remaining() != e.byteSize()) {
            // Would corrupt every later offset: the engine returned a different size than the shape says.
            throw new IllegalStateException("tensor '" + e.name + "': " + e.dtype + " " + Arrays.toString(e.shape)
                    + " should give " + e.byteSize() + " bytes, got " + data.remaining());
        }
        byte[] chunk = data.hasArray() ? null : new byte[Math.min(CHUNK, data.remaining())];
        while (data.hasRemaining()) {
            int n = Math.min(CHUNK, data.remaining());
            if (chunk == null) {
                out.write(data.array(), data.arrayOffset() + data.position(), n);
                data.position(data.position() + n);
            } else {
                data.get(chunk, 0, n);
                out.write(chunk, 0, n);
            }
        }
    }

    /** Position in the reference implementation's data order (its dtype enum, descending). */
    private static int referenceRank(SafetensorsDType dtype) {
        return switch (dtype) {
            case I64 -> 0;
            case F64 -> 1;
            case F32 -> 2;
            case I32 -> 3;
            case BF16 -> 4;
            case F16 -> 5;
            case I16 -> 6;
            case I8 -> 7;
            case U8 -> 8;
            case BOOL -> 9;
        };
    }

    private static void checkName(String name) {
        if (name == null || name.equals(SafetensorsHeader.METADATA_KEY)) {
            throw new IllegalArgumentException("invalid tensor name " + (name == null ? "null" : "'" + name + "'")
                    + ": '__metadata__' is reserved for the metadata map");
        }
    }

    /** One tensor to write; {@code bytes} is called once, while writing, so data is produced lazily. */
    private record Entry(String name, SafetensorsDType dtype, long[] shape, Supplier<ByteBuffer> bytes) {
        long byteSize() {
            return TensorInfo.byteSize(dtype, shape);
        }
    }
}
