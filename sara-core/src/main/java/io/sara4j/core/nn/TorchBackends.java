package io.sara4j.core.nn;

import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.file.Path;

/**
 * The switches of libtorch's CPU convolution backends that DJL does not expose, as
 * {@code torch.backends.mkldnn.enabled} and {@code torch.backends.nnpack.set_flags} set them in
 * Python: {@code at::globalContext().setUserEnabledMkldnn(bool)} and {@code setUserEnabledNNPACK(bool)}
 * in {@code libtorch_cpu.so}, called through JNA by their mangled names. Only {@link Engines} and
 * {@link EngineGuard} call these, after the engine (and so the library) is loaded.
 *
 * <ul>
 *   <li><b>oneDNN</b> (MKL-DNN): with it off, libtorch's own convolution kernels run instead:
 *       right on every CPU measured, but 2.5–5× slower (docs/engine.md). The fallback of
 *       {@link EngineGuard}.</li>
 *   <li><b>NNPACK</b>: {@link Engines} switches it off at start-up. libtorch would use it for
 *       convolutions with a batch of 16 or more; on CPUs its bundled cpuinfo does not know (AMD
 *       Zen 5) it fails to initialise and libtorch prints "Could not initialize NNPACK! Reason:
 *       Unsupported hardware." on every such convolution. With it off, those convolutions take the
 *       same oneDNN path as all others, the one the self-check covers.</li>
 * </ul>
 */
final class TorchBackends {
    private static final String GLOBAL_CONTEXT = "_ZN2at13globalContextEv";
    private static final String IS_ONEDNN_ENABLED = "_ZNK2at7Context17userEnabledMkldnnEv";
    private static final String SET_ONEDNN_ENABLED = "_ZN2at7Context20setUserEnabledMkldnnEb";
    private static final String IS_NNPACK_ENABLED = "_ZNK2at7Context17userEnabledNNPACKEv";
    private static final String SET_NNPACK_ENABLED = "_ZN2at7Context20setUserEnabledNNPACKEb";

    private TorchBackends() {}

    /** Whether oneDNN is switched on (libtorch's default is on). */
    static boolean isOneDnnEnabled() {
        NativeLibrary torch = libtorch();
        return torch.getFunction(IS_ONEDNN_ENABLED).invokeInt(new Object[] {context(torch)}) != 0;
    }

    /** Switches oneDNN on or off for every later operation of this process. */
    static void setOneDnnEnabled(boolean enabled) {
        NativeLibrary torch = libtorch();
        torch.getFunction(SET_ONEDNN_ENABLED).invokeVoid(new Object[] {context(torch), enabled});
    }

    /** Whether NNPACK may be used (libtorch's default is yes; {@link Engines} says no). */
    static boolean isNnpackEnabled() {
        NativeLibrary torch = libtorch();
        return torch.getFunction(IS_NNPACK_ENABLED).invokeInt(new Object[] {context(torch)}) != 0;
    }

    /** Switches NNPACK on or off for every later operation of this process. */
    static void setNnpackEnabled(boolean enabled) {
        NativeLibrary torch = libtorch();
        torch.getFunction(SET_NNPACK_ENABLED).invokeVoid(new Object[] {context(torch), enabled});
    }

    private static Pointer context(NativeLibrary torch) {
        return torch.getFunction(GLOBAL_CONTEXT).invokePointer(new Object[0]);
    }

    private static NativeLibrary libtorch() {
        Path lib = Path.of(LibUtils.getLibtorchPath(), "libtorch_cpu.so");
        return NativeLibrary.getInstance(lib.toString());
    }
}
