package io.sara4j.core.nn;

import ai.djl.engine.Engine;
import java.util.Locale;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link Engines} found when it started the engine: the {@link EngineSelfCheck} result and
 * what was done about it.
 *
 * <p>The check runs with libtorch's defaults (oneDNN on) and the project's guards. If it fails, the
 * guard is not enough on this CPU: oneDNN is switched off through {@link TorchBackends} (libtorch's own
 * kernels are right on every CPU measured, at 2.5–5× the convolution time) and the check runs
 * again. If that fails too, the engine is not trusted for training, and
 * {@link Engines#requireCorrectGradients()} refuses it.
 *
 * @param check the result of the last check run
 * @param oneDnnSwitchedOff whether the fallback switched oneDNN off
 * @param firstCheck the result with oneDNN on, when the fallback was needed (else {@code check})
 */
public record EngineGuard(EngineSelfCheck.Result check, boolean oneDnnSwitchedOff, EngineSelfCheck.Result firstCheck) {
    private static final Logger LOG = LoggerFactory.getLogger(EngineGuard.class);

    /** Runs the self-check on {@code engine}, switching oneDNN off if needed (once per process, from {@link Engines}). */
    static EngineGuard establish(Engine engine) {
        return establish(() -> EngineSelfCheck.run(engine), () -> TorchBackends.setOneDnnEnabled(false));
    }

    /** The decision, with the check and the fallback given (tests use stand-ins). */
    static EngineGuard establish(Supplier<EngineSelfCheck.Result> check, Runnable switchOneDnnOff) {
        EngineSelfCheck.Result first = check.get();
        if (first.passed()) {
            LOG.debug("engine self-check passed in {} ms: {}", String.format(Locale.ROOT, "%.1f", first.milliseconds()),
                    first.cases());
            return new EngineGuard(first, false, first);
        }
        try {
            switchOneDnnOff.run();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            LOG.error("engine self-check failed ({}) and oneDNN could not be switched off ({}): training is refused",
                    first.failures(), e.getMessage());
            return new EngineGuard(first, false, first);
        }
        EngineSelfCheck.Result second = check.get();
        if (second.passed()) {
            LOG.warn("engine self-check failed with oneDNN ({}); oneDNN switched off: results are right, "
                    + "convolutions take 2.5-5x longer (docs/engine.md)", first.failures());
        } else {
            LOG.error("engine self-check failed with oneDNN ({}) and without it ({}): training is refused",
                    first.failures(), second.failures());
        }
        return new EngineGuard(second, true, first);
    }

    /** Whether float32 results and gradients can be trusted (the last check passed). */
    public boolean trustworthy() {
        return check.passed();
    }

    /** Whether libtorch's oneDNN backend is on, and why it is off if it is. */
    public String oneDnn() {
        try {
            return TorchBackends.isOneDnnEnabled() ? "on" : oneDnnSwitchedOff ? "off (switched off by the self-check)" : "off";
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /** One line for {@code sara info} and error messages. */
    public String summary() {
        String timing = String.format(Locale.ROOT, "%.0f ms", check.milliseconds());
        if (!trustworthy()) {
            return "FAILED (" + check.failures() + (oneDnnSwitchedOff ? ", oneDNN already switched off" : "")
                    + "): float32 results of this engine are wrong on this CPU";
        }
        if (oneDnnSwitchedOff) {
            return "passed after switching oneDNN off (with it: " + firstCheck.failures() + "), " + timing;
        }
        return String.format(Locale.ROOT, "passed (%d cases, worst relative error %.1e, %s)", check.cases().size(),
                check.worstError(), timing);
    }
}
