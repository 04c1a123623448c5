package io.sara4j.diffusion.pipeline;

import io.sara4j.diffusion.scheduler.PredictionType;

/**
 * Min-SNR-γ loss weighting (Hang et al. 2023, "Efficient Diffusion Training via Min-SNR Weighting
 * Strategy", arXiv:2303.09556): each sample's MSE is weighted by a function of the
 * signal-to-noise ratio SNR(t) = ᾱ_t/(1 − ᾱ_t) of its timestep, so that the many nearly clean,
 * easy timesteps stop dominating the gradient.
 *
 * <p>The weight turns the paper's min(SNR, γ) on x₀-error into a weight on the error of what the
 * model predicts, as diffusers' {@code train_text_to_image.py} does:
 * <ul>
 *   <li>ε-prediction: min(SNR, γ)/SNR, i.e. min(1, γ/SNR);</li>
 *   <li>v-prediction: min(SNR, γ)/(SNR + 1).</li>
 * </ul>
 * At SNR = 0 (the last step of a zero-terminal-SNR schedule) the ε weight is 0/0; it is taken as 1,
 * its limit, where diffusers would produce NaN. The v weight there is 0 by the formula.
 */
public final class MinSnrWeighting {
    private MinSnrWeighting() {}

    /** SNR = ᾱ/(1 − ᾱ) for a cumulative alpha product ᾱ in [0, 1]. */
    public static double snr(double alphaCumprod) {
        return alphaCumprod / (1 - alphaCumprod);
    }

    /**
     * The loss weight of a sample whose timestep has cumulative alpha product {@code alphaCumprod}.
     *
     * @param gamma γ &gt; 0
     * @param type what the model predicts (the target of the weighted MSE)
     */
    public static double weight(double alphaCumprod, double gamma, PredictionType type) {
        double snr = snr(alphaCumprod);
        double clipped = Math.min(snr, gamma);
        switch (type) {
            case EPSILON:
                return snr == 0 ? 1 : clipped / snr;
            case V_PREDICTION:
                return clipped / (snr + 1);
            default:
                throw new AssertionError(type);
        }
    }
}
