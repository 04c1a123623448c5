package io.sara4j.diffusion.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.Module;

/**
 * diffusers {@code AutoencoderKL}: the Stable Diffusion VAE, mapping images to a Gaussian over
 * latents and latents back to images.
 *
 * <p>Shapes: images (N, in_channels, H, W) in [−1, 1] → posterior over latents
 * (N, latent_channels, H/f, W/f) → images (N, out_channels, H, W), f = 2^(levels − 1) (8 for
 * Stable Diffusion). {@link #decode} takes raw latents: pipelines multiply a posterior sample by
 * {@link AutoencoderKLConfig#scalingFactor()} before the UNet and divide by it before decoding.
 *
 * <p>Keys: {@code encoder.*} ({@link Encoder}), {@code decoder.*} ({@link Decoder}),
 * {@code quant_conv} (2L, 2L, 1, 1), {@code post_quant_conv} (L, L, 1, 1), L = latent_channels.
 */
public final class AutoencoderKL extends Module {
    private final AutoencoderKLConfig config;
    private final Encoder encoder;
    private final Decoder decoder;
    private final Conv2d quantConv;
    private final Conv2d postQuantConv;

    /** A VAE with freshly initialised weights, shaped by {@code config}. */
    public AutoencoderKL(NDManager manager, AutoencoderKLConfig config) {
        this.config = config;
        int latent = config.latentChannels();
        this.encoder = registerModule("encoder", new Encoder(manager, config));
        this.decoder = registerModule("decoder", new Decoder(manager, config));
        this.quantConv = config.useQuantConv()
                ? registerModule("quant_conv", new Conv2d(manager, 2 * latent, 2 * latent, 1, 1, 0)) : null;
        this.postQuantConv = config.usePostQuantConv()
                ? registerModule("post_quant_conv", new Conv2d(manager, latent, latent, 1, 1, 0)) : null;
    }

    /**
     * Encodes {@code images} (N, in_channels, H, W), H and W multiples of f, to the posterior over
     * latents (N, latent_channels, H/f, W/f).
     */
    public DiagonalGaussianDistribution encode(NDArray images) {
        NDArray h = encoder.forward(images);                                  // (N, 2L, H/f, W/f)
        NDArray moments = quantConv == null ? h : quantConv.forward(h);       // (N, 2L, H/f, W/f)
        return new DiagonalGaussianDistribution(moments);
    }

    /** Decodes raw (unscaled) {@code latents} (N, latent_channels, h, w) to images (N, out_channels, h·f, w·f). */
    public NDArray decode(NDArray latents) {
        NDArray z = postQuantConv == null ? latents : postQuantConv.forward(latents); // (N, L, h, w)
        return decoder.forward(z);                                                     // (N, out, h·f, w·f)
    }

    /**
     * Reconstructs {@code images}: encode, take the posterior's mode (or a sample with
     * {@code noise} of the latent shape, when given), decode.
     *
     * @param noise standard normal (N, latent_channels, H/f, W/f), or {@code null} for the mode
     */
    public NDArray forward(NDArray images, NDArray noise) {
        DiagonalGaussianDistribution posterior = encode(images);
        NDArray z = noise == null ? posterior.mode() : posterior.sample(noise);
        return decode(z);
    }

    /** The configuration this model was built from. */
    public AutoencoderKLConfig config() {
        return config;
    }

    /** The encoder. */
    public Encoder encoder() {
        return encoder;
    }

    /** The decoder. */
    public Decoder decoder() {
        return decoder;
    }
}
