package io.sara4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Turns a tensor's mapped bytes into an engine array with exactly one copy.
 *
 * <p>DJL's PyTorch {@code NDManager.create(ByteBuffer, ...)} does not copy a direct buffer: the
 * tensor it returns aliases the buffer's memory ({@code torch::from_blob}). Aliasing a read-only
 * file mapping would be unsafe (any in-place op would fault) and would tie the array's life to the
 * mapping, so the alias lives only long enough for {@code duplicate()} (a torch clone) to copy the
 * bytes into memory the engine owns. The clone reads through the mapping, so the file is paged in
 * once and never enters the Java heap.
 */
final class TensorLoader {
    private TensorLoader() {}

    /** The engine array for {@code info}, in its load type; {@code mapped} is from {@code bytes()}. */
    static NDArray load(TensorInfo info, ByteBuffer mapped, boolean aligned, NDManager manager) {
        DTypeBridge.requireLittleEndianHost();
        DataType type = info.dtype().loadDataType();
        if (info.elementCount() == 0) {
            return manager.create(info.djlShape(), type);
        }
        ByteBuffer source;
        if (type != info.dtype().toDataType()) {
            source = DTypeBridge.widen(info.dtype(), mapped);
        } else if (!aligned) {
            // Files from other writers may place a tensor at an offset that is not a multiple of its
            // element size; torch kernels assume aligned data, so copy to fresh (aligned) memory.
            source = ByteBuffer.allocateDirect(mapped.remaining()).order(ByteOrder.nativeOrder());
            source.put(mapped.duplicate()).flip();
        } else {
            source = mapped;
        }
        try (NDArray alias = manager.create(source, info.djlShape(), type)) {
            return alias.duplicate();
        }
    }

    /** IllegalArgumentException if the engine cannot hold {@code target} (it would abort the JVM). */
    static void checkTarget(DataType target, Path path, String what) {
        if (!DTypeBridge.canHold(target)) {
            throw new IllegalArgumentException(path + ": cannot load " + what + " as " + target.name()
                    + ": DJL's PyTorch engine has no " + target.name() + " arrays (BF16 loads as FLOAT32, I16 as INT32)");
        }
    }
}
