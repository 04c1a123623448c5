package io.sara4j.core.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and validates a safetensors header: the 8-byte little-endian length N, N bytes of JSON,
 * and the byte ranges of all tensors against the size of the data section.
 *
 * <p>The JSON is walked token by token rather than bound to a tree because a tree (Jackson's
 * default) silently keeps the last of two equal keys; walking it lets every duplicate, at any
 * level, be reported with the tensor it belongs to.
 *
 * @param dataStart file offset of the data section, {@code 8 + N}
 * @param metadata  {@code __metadata__}, in file order, empty if absent
 * @param tensors   every tensor, ordered by data offset (ties: by end, then name)
 */
record SafetensorsHeader(long dataStart, Map<String, String> metadata, List<TensorInfo> tensors) {
    /** Key of the optional string→string map; never a tensor name. */
    static final String METADATA_KEY = "__metadata__";

    /** The reference implementation refuses larger headers too; it bounds the heap we allocate. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final JsonFactory JSON = new JsonFactory();
    private static final String ENTRY_KEYS = "dtype, shape, data_offsets";

    /** Reads the header of {@code channel} (the open file {@code path}) and validates it. */
    static SafetensorsHeader read(Path path, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw new SafetensorsFormatException(path, "file is " + fileSize
                    + " bytes, shorter than the 8-byte header length that starts a safetensors file");
        }
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, prefix, 0);
        long n = prefix.getLong(0);
        // The length is an unsigned 64-bit number: a negative long means a value above 2^63.
        if (n < 0 || n > fileSize - 8) {
            throw new SafetensorsFormatException(path, "header length " + Long.toUnsignedString(n)
                    + " runs past the end of the file (" + fileSize + " bytes, so at most "
                    + (fileSize - 8) + " header bytes)");
        }
        if (n > MAX_HEADER_BYTES) {
            throw new SafetensorsFormatException(path, "header length " + n + " exceeds the limit of "
                    + MAX_HEADER_BYTES + " bytes");
        }
        ByteBuffer json = ByteBuffer.allocate((int) n);
        readFully(channel, json, 8);
        long dataStart = 8 + n;
        SafetensorsHeader header = parse(path, json.array(), dataStart);
        checkLayout(path, header.tensors, fileSize - dataStart);
        return header;
    }

    private static void readFully(FileChannel channel, ByteBuffer dst, long position) throws IOException {
        while (dst.hasRemaining()) {
            int read = channel.read(dst, position + dst.position());
            if (read < 0) {
                throw new IOException("unexpected end of file while reading the safetensors header");
            }
        }
    }

    private static SafetensorsHeader parse(Path path, byte[] json, long dataStart) throws IOException {
        // The format requires the header to begin with '{'; checking it first gives a clear
        // message for headers that are valid JSON of another kind ([...], "...", 42).
        if (json.length == 0 || json[0] != '{') {
            String found = json.length == 0 ? "an empty header" : String.format("byte 0x%02X", json[0] & 0xFF);
            throw new SafetensorsFormatException(path, "header is not a JSON object (it must start with '{', found "
                    + found + ")");
        }
        Map<String, String> metadata = Map.of();
        List<TensorInfo> tensors = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (JsonParser p = JSON.createParser(json)) {
            p.nextToken(); // START_OBJECT, checked above
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String key = p.currentName();
                if (!seen.add(key)) {
                    throw new SafetensorsFormatException(path, METADATA_KEY.equals(key)
                            ? "duplicate key '__metadata__' in header" : "duplicate tensor name '" + key + "' in header");
                }
                p.nextToken();
                if (METADATA_KEY.equals(key)) {
                    metadata = readMetadata(path, p);
                } else {
                    tensors.add(readEntry(path, p, key));
                }
            }
            // Only whitespace may follow the object (writers pad with spaces to a multiple of 8).
            if (p.nextToken() != null) {
                throw new SafetensorsFormatException(path, "header has content after its closing '}' at "
                        + p.currentLocation().offsetDescription());
            }
        } catch (JsonProcessingException e) {
            throw new SafetensorsFormatException(path, "header is malformed JSON: " + e.getOriginalMessage()
                    + " at " + e.getLocation().offsetDescription(), e);
        }
        tensors.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end)
                .thenComparing(TensorInfo::name));
        return new SafetensorsHeader(dataStart, metadata, Collections.unmodifiableList(tensors));
    }

    private static Map<String, String> readMetadata(Path path, JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new SafetensorsFormatException(path, "__metadata__ must be an object of strings, found "
                    + describe(p));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String key = p.currentName();
            if (metadata.containsKey(key)) {
                throw new SafetensorsFormatException(path, "duplicate key '" + key + "' in __metadata__");
            }
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw new SafetensorsFormatException(path, "__metadata__ value of '" + key
                        + "' must be a string, found " + describe(p));
            }
            metadata.put(key, p.getText());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static TensorInfo readEntry(Path path, JsonParser p, String name) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw tensorError(path, name, "entry must be an object with " + ENTRY_KEYS + ", found " + describe(p));
        }
        SafetensorsDType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String key = p.currentName();
            p.nextToken();
            boolean duplicate;
            switch (key) {
                case "dtype" -> {
                    duplicate = dtype != null;
                    dtype = readDType(path, p, name);
                }
                case "shape" -> {
                    duplicate = shape != null;
                    shape = readLongs(path, p, name, "shape");
                }
                case "data_offsets" -> {
                    duplicate = offsets != null;
                    offsets = readLongs(path, p, name, "data_offsets");
                }
                default -> throw tensorError(path, name, "unexpected key '" + key + "' (expected " + ENTRY_KEYS + ")");
            }
            if (duplicate) {
                throw tensorError(path, name, "duplicate key '" + key + "'");
            }
        }
        if (dtype == null || shape == null || offsets == null) {
            String missing = dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets";
            throw tensorError(path, name, "missing '" + missing + "' (an entry needs " + ENTRY_KEYS + ")");
        }
        return toInfo(path, name, dtype, shape, offsets);
    }

    private static TensorInfo toInfo(Path path, String name, SafetensorsDType dtype, long[] shape, long[] offsets)
            throws SafetensorsFormatException {
        for (long d : shape) {
            if (d < 0) {
                throw tensorError(path, name, "shape " + Arrays.toString(shape) + " has a negative dimension");
            }
        }
        if (offsets.length != 2) {
            throw tensorError(path, name, "data_offsets must be [begin, end], found " + Arrays.toString(offsets));
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < begin) {
            throw tensorError(path, name, "data_offsets [" + begin + ", " + end
                    + "] must satisfy 0 <= begin <= end");
        }
        long expected;
        try {
            expected = TensorInfo.byteSize(dtype, shape);
        } catch (ArithmeticException e) {
            throw tensorError(path, name, "shape " + Arrays.toString(shape) + " has more bytes than a long can count");
        }
        if (end - begin != expected) {
            throw tensorError(path, name, "byte size mismatch: " + dtype + " " + Arrays.toString(shape)
                    + " needs " + expected + " bytes but data_offsets [" + begin + ", " + end + "] hold "
                    + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static SafetensorsDType readDType(Path path, JsonParser p, String name) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw tensorError(path, name, "dtype must be a string, found " + describe(p));
        }
        try {
            return SafetensorsDType.parse(p.getText());
        } catch (IllegalArgumentException e) {
            throw tensorError(path, name, e.getMessage());
        }
    }

    /** An array of integers that fit a long (negative values are checked by the caller). */
    private static long[] readLongs(Path path, JsonParser p, String name, String field) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw tensorError(path, name, field + " must be an array of integers, found " + describe(p));
        }
        List<Long> values = new ArrayList<>();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw tensorError(path, name, field + " must hold integers that fit 64 bits, found "
                        + describe(p));
            }
            values.add(p.getLongValue());
        }
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    private static String describe(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null) {
            return "end of input";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "string \"" + p.getText() + "\"";
            default -> p.getText();
        };
    }

    /**
     * Checks that the tensors, sorted by offset, tile the data section exactly: starting at 0,
     * no gaps, no overlaps, ending at its last byte. The format requires full coverage so that
     * a file cannot smuggle unindexed bytes.
     */
    private static void checkLayout(Path path, List<TensorInfo> sorted, long dataBytes)
            throws SafetensorsFormatException {
        long covered = 0;
        TensorInfo previous = null;
        for (TensorInfo t : sorted) {
            if (t.end() > dataBytes) {
                throw tensorError(path, t.name(), "data_offsets [" + t.begin() + ", " + t.end()
                        + "] run past the end of the file (the data section holds " + dataBytes + " bytes)");
            }
            if (t.begin() < covered) {
                throw tensorError(path, t.name(), "data_offsets [" + t.begin() + ", " + t.end()
                        + "] overlap tensor '" + previous.name() + "' [" + previous.begin() + ", "
                        + previous.end() + "]");
            }
            if (t.begin() > covered) {
                throw new SafetensorsFormatException(path, "gap in the data section: bytes [" + covered + ", "
                        + t.begin() + ") " + (previous == null ? "before the first tensor '"
                        : "between tensor '" + previous.name() + "' and tensor '") + t.name()
                        + "' belong to no tensor");
            }
            covered = t.end();
            previous = t;
        }
        if (covered != dataBytes) {
            throw new SafetensorsFormatException(path, "data section not fully covered: bytes [" + covered + ", "
                    + dataBytes + ")" + (previous == null ? "" : " after tensor '" + previous.name() + "'")
                    + " belong to no tensor");
        }
    }

    private static SafetensorsFormatException tensorError(Path path, String name, String problem) {
        return new SafetensorsFormatException(path, "tensor '" + name + "': " + problem);
    }
}
