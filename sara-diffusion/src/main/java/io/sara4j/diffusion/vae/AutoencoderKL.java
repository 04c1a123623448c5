package io.sara4j.diffusion.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.Module;
import io.sara4j.diffusion.loading.WeightFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

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
    /** Mid-block attention names used before diffusers 0.14 ({@code AttentionBlock}). */
    private static final Pattern LEGACY_ATTENTION = Pattern.compile("\\.attentions\\.\\d+\\.(query|key|value|proj_attn)\\.");

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

    /**
     * Loads a {@code vae/} folder: {@code config.json} and {@code diffusion_pytorch_model.safetensors}
     * (or the single variant present), strictly by key.
     *
     * @param computeType FLOAT32, FLOAT16 or FLOAT64; weights stored in another type are converted
     * @throws IllegalArgumentException naming the file and every key or shape problem, or the
     *     pre-0.14 attention names if the checkpoint uses them
     */
    public static AutoencoderKL load(Path vaeFolder, NDManager manager, DataType computeType) throws IOException {
        AutoencoderKLConfig config = AutoencoderKLConfig.read(vaeFolder.resolve(WeightFiles.CONFIG_NAME));
        return load(config, WeightFiles.find(vaeFolder, WeightFiles.DIFFUSERS_BASE, null), manager, computeType);
    }

    /** Builds a VAE from {@code config} and loads {@code weightsFile} into it, as {@link #load(Path, NDManager, DataType)}. */
    public static AutoencoderKL load(AutoencoderKLConfig config, Path weightsFile, NDManager manager,
            DataType computeType) throws IOException {
        WeightFiles.requireComputeType(computeType);
        rejectLegacyAttentionNames(weightsFile);
        return WeightFiles.load(() -> new AutoencoderKL(manager, config), weightsFile, Set.of(), computeType);
    }

    /**
     * Writes this VAE as a diffusers {@code vae/} folder ({@code config.json} and
     * {@code diffusion_pytorch_model.safetensors}, parameters in their stored type), creating the
     * folder if needed; each file appears atomically. {@link #load(Path, NDManager, DataType)} and
     * diffusers' {@code AutoencoderKL.from_pretrained} read it back.
     */
    public void save(Path vaeFolder) throws IOException {
        WeightFiles.save(vaeFolder, WeightFiles.DIFFUSERS_BASE, this, config.toJson());
    }

    /**
     * Checkpoints converted before diffusers 0.14 name the mid-block attention {@code query},
     * {@code key}, {@code value}, {@code proj_attn}; diffusers renames them while loading. sara4j
     * loads exact names only, so such a file is refused with the renaming that fixes it.
     */
    private static void rejectLegacyAttentionNames(Path weightsFile) throws IOException {
        List<String> legacy;
        try (SafetensorsFile file = SafetensorsFile.open(weightsFile)) {
            legacy = file.names().stream().filter(n -> LEGACY_ATTENTION.matcher(n).find()).toList();
        }
        if (!legacy.isEmpty()) {
            throw new IllegalArgumentException(weightsFile + ": " + legacy.size() + " tensors use the attention names"
                    + " of diffusers < 0.14 (" + legacy.get(0) + ", ...); expected to_q, to_k, to_v, to_out.0."
                    + " Re-save the VAE with a current diffusers (AutoencoderKL.from_pretrained(folder)"
                    + ".save_pretrained(folder)) or rename query→to_q, key→to_k, value→to_v, proj_attn→to_out.0");
        }
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
