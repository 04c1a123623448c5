package io.sara4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file opened for reading: the header is parsed and fully validated by
 * {@link #open}, tensors are read only when asked for.
 *
 * <p>Tensor data is never read into the Java heap. {@link #bytes} maps the tensor's byte range
 * of the file ({@link FileChannel#map}) and {@link #load} hands that mapping to the engine, which
 * copies it once into its own memory; the file itself may be any size. A single tensor must be
 * smaller than 2 GiB (a {@link ByteBuffer} limit); larger ones are refused with a message naming
 * them. No tensor of Stable Diffusion 1.x/2.x comes near that (the largest is ~150 MB).
 *
 * <p>Arrays from {@link #load} are independent copies: they stay valid after {@link #close()} and
 * never change if the file does. Buffers from {@link #bytes} are views of the file.
 *
 * <p>Engine gap: DJL 0.36's PyTorch engine cannot hold BF16 or I16 arrays, so those load as FLOAT32
 * and INT32 (exact widenings; see {@link SafetensorsDType#loadDataType()}) and cannot be a load
 * target. Instances are safe for concurrent reads.
 */
public final class SafetensorsFile implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final Map<String, TensorInfo> tensors;
    private final List<String> names;
    private volatile boolean closed;

    private SafetensorsFile(Path path, FileChannel channel, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.dataStart = header.dataStart();
        this.metadata = header.metadata();
        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (TensorInfo t : header.tensors()) {
            byName.put(t.name(), t);
        }
        this.tensors = byName;
        this.names = List.copyOf(byName.keySet());
    }

    /**
     * Opens {@code path} and validates its whole header and layout (see docs/safetensors.md for the
     * list of checks); throws {@link SafetensorsFormatException} naming the file and the problem.
     */
    public static SafetensorsFile open(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new SafetensorsFile(path, channel, SafetensorsHeader.read(path, channel));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The file this was opened from. */
    public Path path() {
        return path;
    }

    /** The header's {@code __metadata__} (unmodifiable, file order); empty if absent. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in the order of their data in the file. */
    public List<String> names() {
        return names;
    }

    /** Whether the file holds a tensor of this name. */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The header entry of {@code name}; IllegalArgumentException naming file and tensor if absent. */
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new IllegalArgumentException(path + ": no tensor named '" + name + "' (the file holds "
                    + names.size() + " tensors" + (names.isEmpty() ? "" : ", e.g. '" + names.get(0) + "'") + ")");
        }
        return info;
    }

    /**
     * The tensor's raw bytes: a read-only, little-endian view mapped from the file, row-major, of
     * {@link TensorInfo#byteSize()} bytes. IllegalArgumentException for tensors of 2 GiB or more.
     */
    public ByteBuffer bytes(String name) {
        TensorInfo info = info(name);
        if (info.byteSize() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(path + ": tensor '" + name + "' is " + info.byteSize()
                    + " bytes; sara4j reads tensors smaller than 2 GiB (" + Integer.MAX_VALUE + " bytes) only");
        }
        if (closed) {
            throw new IllegalStateException(path + " is closed; open it again to read tensor '" + name + "'");
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), info.byteSize())
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot map tensor '" + name + "'", e);
        }
    }

    /**
     * The tensor as an array owned by {@code manager}, in {@link SafetensorsDType#loadDataType()}
     * (the stored type, except BF16 → FLOAT32 and I16 → INT32).
     */
    public NDArray load(String name, NDManager manager) {
        TensorInfo info = info(name);
        return TensorLoader.load(info, bytes(name), alignedInFile(info), manager);
    }

    /**
     * The tensor converted to {@code target} by the engine (e.g. F16 weights as FLOAT32). BF16 data
     * is widened exactly to float32 first, so a conversion rounds once. IllegalArgumentException for
     * targets the engine cannot hold (BFLOAT16, INT16, ...).
     */
    public NDArray load(String name, NDManager manager, DataType target) {
        TensorLoader.checkTarget(target, path, "tensor '" + name + "'");
        NDArray loaded = load(name, manager);
        if (loaded.getDataType() == target) {
            return loaded;
        }
        try (loaded) {
            return loaded.toType(target, false);
        }
    }

    /**
     * Every tensor, in file order, as {@link #load(String, NDManager, DataType)} would return it
     * ({@code targetOrNull == null}: each in its load type). If one fails, those already loaded are
     * closed before the exception propagates.
     */
    public Map<String, NDArray> loadAll(NDManager manager, DataType targetOrNull) {
        if (targetOrNull != null) {
            TensorLoader.checkTarget(targetOrNull, path, "its tensors");
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        try {
            for (String name : names) {
                out.put(name, targetOrNull == null ? load(name, manager) : load(name, manager, targetOrNull));
            }
        } catch (RuntimeException e) {
            out.values().forEach(NDArray::close);
            throw e;
        }
        return out;
    }

    /** Whether the tensor's first byte sits at a file offset that is a multiple of its element size. */
    private boolean alignedInFile(TensorInfo info) {
        // Mappings start on a page boundary plus the offset's remainder, so the file offset's
        // alignment is the memory address's alignment.
        return (dataStart + info.begin()) % info.dtype().byteSize() == 0;
    }

    /** Closes the file; arrays already loaded stay valid. */
    @Override
    public void close() throws IOException {
        closed = true;
        channel.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + names.size() + " tensors]";
    }
}
