package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;
import java.util.Locale;

/**
 * The activation functions the diffusion models use, by their configuration names
 * ({@code act_fn} in diffusers, {@code hidden_act} in transformers).
 */
public enum Activations {
    /** x·σ(x) ({@code silu}, {@code swish}). */
    SILU,
    /** Exact GELU, x·Φ(x) with the error function ({@code gelu}). */
    GELU,
    /** GELU with the tanh approximation ({@code gelu_pytorch_tanh}, {@code gelu_new}). */
    GELU_TANH,
    /** x·σ(1.702·x), the approximation the original CLIP was trained with ({@code quick_gelu}). */
    QUICK_GELU;

    /** Applies this activation. */
    public NDArray apply(NDArray x) {
        return switch (this) {
            case SILU -> silu(x);
            case GELU -> gelu(x);
            case GELU_TANH -> geluTanh(x);
            case QUICK_GELU -> quickGelu(x);
        };
    }

    /** Resolves a configuration name; unknown names are rejected with the supported list. */
    public static Activations fromConfigName(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "silu", "swish" -> SILU;
            case "gelu" -> GELU;
            case "gelu_pytorch_tanh", "gelu_new", "gelu-approximate" -> GELU_TANH;
            case "quick_gelu" -> QUICK_GELU;
            default -> throw new IllegalArgumentException("unsupported activation '" + name
                    + "' (supported: silu, swish, gelu, gelu_pytorch_tanh, gelu_new, quick_gelu)");
        };
    }

    /** x·σ(x). */
    public static NDArray silu(NDArray x) {
        return x.mul(ai.djl.nn.Activation.sigmoid(x));
    }

    /** x·Φ(x) = x·(1 + erf(x/√2))/2. */
    public static NDArray gelu(NDArray x) {
        return Scalars.mul(x.mul(Scalars.mul(x, 1 / Math.sqrt(2)).erf().add(1f)), 0.5);
    }

    /** x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))/2. */
    public static NDArray geluTanh(NDArray x) {
        NDArray inner = Scalars.mul(x.add(Scalars.mul(x.mul(x).mul(x), 0.044715)), Math.sqrt(2 / Math.PI));
        return Scalars.mul(x.mul(inner.tanh().add(1f)), 0.5);
    }

    /** x·σ(1.702·x). */
    public static NDArray quickGelu(NDArray x) {
        return x.mul(ai.djl.nn.Activation.sigmoid(Scalars.mul(x, 1.702)));
    }
}
