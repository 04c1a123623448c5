package io.sara4j.core.nn;

import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.file.Path;

/**
 * The switch of libtorch's oneDNN (MKL-DNN) backend, which DJL does not expose.
 *
 * <p>It calls {@code at::globalContext().userEnabledMkldnn()} and {@code setUserEnabledMkldnn(bool)}
 * in {@code libtorch_cpu.so} through JNA, by their mangled names. With oneDNN off, libtorch's own
 * convolution kernels run instead: right on every CPU measured, but 2.5–5× slower (docs/engine.md).
 * Only {@link Engines} calls this, after the engine (and so the library) is loaded.
 */
final class OneDnn {
    private static final String GLOBAL_CONTEXT = "_ZN2at13globalContextEv";
    private static final String IS_ENABLED = "_ZNK2at7Context17userEnabledMkldnnEv";
    private static final String SET_ENABLED = "_ZN2at7Context20setUserEnabledMkldnnEb";

    private OneDnn() {}

    /** Whether oneDNN is switched on (libtorch's default is on). */
    static boolean isEnabled() {
        NativeLibrary torch = libtorch();
        return torch.getFunction(IS_ENABLED).invokeInt(new Object[] {context(torch)}) != 0;
    }

    /** Switches oneDNN on or off for every later operation of this process. */
    static void setEnabled(boolean enabled) {
        NativeLibrary torch = libtorch();
        torch.getFunction(SET_ENABLED).invokeVoid(new Object[] {context(torch), enabled});
    }

    private static Pointer context(NativeLibrary torch) {
        return torch.getFunction(GLOBAL_CONTEXT).invokePointer(new Object[0]);
    }

    private static NativeLibrary libtorch() {
        Path lib = Path.of(LibUtils.getLibtorchPath(), "libtorch_cpu.so");
        return NativeLibrary.getInstance(lib.toString());
    }

    /** The symbol names, for error messages. */
    static String symbols() {
        return GLOBAL_CONTEXT + ", " + IS_ENABLED + ", " + SET_ENABLED;
    }
}
