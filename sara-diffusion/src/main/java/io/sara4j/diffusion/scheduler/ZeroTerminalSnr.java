package io.sara4j.diffusion.scheduler;

/**
 * Rescales a beta schedule so that its last timestep has zero signal-to-noise ratio
 * ({@code rescale_betas_zero_snr}; Lin et al. 2024, "Common Diffusion Noise Schedules and Sample
 * Steps are Flawed", Algorithm 1).
 *
 * <p>Stable Diffusion's schedules end at ᾱ_T ≈ 0.0047, so the noisiest training input still
 * carries some of the image's low frequencies and the model never learns to start from pure
 * noise, while sampling does start there. The fix keeps √ᾱ_1 and makes √ᾱ_T zero by an affine map
 * of √ᾱ: √ᾱ'_t = (√ᾱ_t − √ᾱ_T)·√ᾱ_1/(√ᾱ_1 − √ᾱ_T), and recovers the betas from the new
 * products, β'_t = 1 − ᾱ'_t/ᾱ'_{t−1} (β'_1 = 1 − ᾱ'_1). The last beta is exactly 1, so ᾱ'_T is
 * exactly 0; in between, SNR stays strictly decreasing because the map is increasing.
 */
final class ZeroTerminalSnr {
    private ZeroTerminalSnr() {}

    /** The rescaled copy of {@code betas} (β_1..β_T, index 0 first), computed in float64. */
    static double[] rescale(double[] betas) {
        int n = betas.length;
        if (n < 2) {
            throw new IllegalArgumentException("rescale_betas_zero_snr needs at least 2 timesteps, got " + n);
        }
        double[] rootAlphaBar = new double[n];
        double product = 1;
        for (int t = 0; t < n; t++) {
            product *= 1 - betas[t];
            rootAlphaBar[t] = Math.sqrt(product);
        }
        double first = rootAlphaBar[0];
        double last = rootAlphaBar[n - 1];
        // shift so the last is 0, then scale so the first is back where it was
        double scale = first / (first - last);
        double[] rescaled = new double[n];
        double previousAlphaBar = 1;
        for (int t = 0; t < n; t++) {
            double root = (rootAlphaBar[t] - last) * scale;
            double alphaBar = root * root;
            rescaled[t] = 1 - alphaBar / previousAlphaBar;
            previousAlphaBar = alphaBar;
        }
        return rescaled;
    }
}
