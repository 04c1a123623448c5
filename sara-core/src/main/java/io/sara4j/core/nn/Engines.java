package io.sara4j.core.nn;

import ai.djl.engine.Engine;

/**
 * The one place that starts the tensor engine.
 *
 * <p>sara4j never downloads anything at run time: the PyTorch native library comes from the
 * {@code pytorch-native-cpu} jar on the class path, so DJL is forced into offline mode before the
 * engine is first touched.
 */
public final class Engines {
    private Engines() {}

    /** Sets offline mode (unless the caller already chose) and returns the PyTorch engine. */
    public static synchronized Engine pytorch() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        return Engine.getEngine("PyTorch");
    }
}
