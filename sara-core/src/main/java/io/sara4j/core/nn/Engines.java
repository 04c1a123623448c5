package io.sara4j.core.nn;

import ai.djl.engine.Engine;
import org.slf4j.LoggerFactory;

/**
 * The one place that starts the tensor engine.
 *
 * <p>On the first call it
 * <ol>
 *   <li>forces DJL into offline mode (unless the caller chose): the PyTorch native library comes
 *       from the {@code pytorch-native-cpu} jar on the class path, nothing is downloaded;</li>
 *   <li>tunes glibc's allocator ({@link NativeAllocator}) before the first tensor exists, because
 *       with the defaults every op on a tensor of 32 MB or more runs at page-fault speed;</li>
 *   <li>starts DJL's PyTorch engine, switches NNPACK off ({@link TorchBackends}) and runs the
 *       {@link EngineSelfCheck} through
 *       {@link EngineGuard}, which switches oneDNN off if the guards in the layers are not enough
 *       on this CPU.</li>
 * </ol>
 * docs/engine.md explains the two libtorch defects behind steps 2 and 3.
 */
public final class Engines {
    private static Engine engine;
    private static EngineGuard guard;

    private Engines() {}

    /** Starts the engine on the first call (see the class comment) and returns it. */
    public static synchronized Engine pytorch() {
        if (engine == null) {
            if (System.getProperty("ai.djl.offline") == null) {
                System.setProperty("ai.djl.offline", "true");
            }
            NativeAllocator.tune();
            Engine started = Engine.getEngine("PyTorch");
            try {
                TorchBackends.setNnpackEnabled(false); // see TorchBackends: spams a warning per convolution on Zen 5
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                LoggerFactory.getLogger(Engines.class).debug("NNPACK switch unavailable: {}", e.getMessage());
            }
            guard = EngineGuard.establish(started);
            engine = started;
        }
        return engine;
    }

    /** What the start-up self-check found (starts the engine if needed). */
    public static synchronized EngineGuard guard() {
        pytorch();
        return guard;
    }

    /**
     * Refuses to go on when the self-check failed even with oneDNN off: training on wrong gradients
     * would only waste the user's time.
     *
     * @throws IllegalStateException naming the failed checks
     */
    public static void requireCorrectGradients() {
        EngineGuard g = guard();
        if (!g.trustworthy()) {
            throw new IllegalStateException("the engine self-check failed on this CPU: " + g.summary()
                    + ". Training would compute wrong gradients; see docs/engine.md (how to check a new CPU)");
        }
    }
}
