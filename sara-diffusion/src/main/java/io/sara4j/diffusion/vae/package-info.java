/**
 * The Stable Diffusion VAE, mirroring diffusers v0.27.2 class by class:
 * {@code models/autoencoders/autoencoder_kl.py} ({@code AutoencoderKL}),
 * {@code models/autoencoders/vae.py} ({@code Encoder}, {@code Decoder},
 * {@code DiagonalGaussianDistribution}), {@code models/unets/unet_2d_blocks.py}
 * ({@code DownEncoderBlock2D}, {@code UpDecoderBlock2D}, {@code UNetMidBlock2D}),
 * {@code models/resnet.py} ({@code ResnetBlock2D} without time embedding, here
 * {@link io.sara4j.diffusion.vae.VaeResnetBlock2D}; the resamplers are the UNet package's
 * {@code Downsample2D} and {@code Upsample2D}) and
 * {@code models/attention_processor.py} ({@code Attention} with group norm and residual, here
 * {@link io.sara4j.diffusion.vae.VaeAttention}). State-dict keys equal the diffusers keys
 * ({@code encoder.mid_block.attentions.0.to_q.weight}).
 */
package io.sara4j.diffusion.vae;
