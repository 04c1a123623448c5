package io.sara4j.diffusion.eval;

/**
 * One compared method's two scores on one dataset, the input of {@link Vlhi}.
 *
 * @param method the method's name (unique within a comparison)
 * @param fid the fidelity distance, lower is better (FID in the paper, {@link StyleFidelity} here)
 * @param clip the text alignment, higher is better (CLIP score in the paper, {@link PromptAccuracy} here)
 */
public record MethodScores(String method, double fid, double clip) {
    /** Requires a name and finite scores. */
    public MethodScores {
        if (method == null || method.isBlank()) {
            throw new IllegalArgumentException("method name is required");
        }
        if (!Double.isFinite(fid) || !Double.isFinite(clip)) {
            throw new IllegalArgumentException(method + ": scores must be finite, found fid=" + fid + ", clip=" + clip);
        }
    }
}
