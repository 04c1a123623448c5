/**
 * The Stable Diffusion 1.x/2.x denoising UNet, one Java class per diffusers class, with parameter
 * paths equal to the diffusers state-dict keys.
 *
 * <p>Mirrors diffusers 0.27.2:
 * <ul>
 *   <li>{@code models/unets/unet_2d_condition.py}: {@link io.sara4j.diffusion.unet.UNet2DConditionModel},
 *       {@link io.sara4j.diffusion.unet.UNet2DConditionConfig}</li>
 *   <li>{@code models/unets/unet_2d_blocks.py}: {@link io.sara4j.diffusion.unet.CrossAttnDownBlock2D},
 *       {@link io.sara4j.diffusion.unet.DownBlock2D}, {@link io.sara4j.diffusion.unet.UNetMidBlock2DCrossAttn},
 *       {@link io.sara4j.diffusion.unet.CrossAttnUpBlock2D}, {@link io.sara4j.diffusion.unet.UpBlock2D}</li>
 *   <li>{@code models/resnet.py}: {@link io.sara4j.diffusion.unet.ResnetBlock2D}</li>
 *   <li>{@code models/downsampling.py}, {@code models/upsampling.py}:
 *       {@link io.sara4j.diffusion.unet.Downsample2D}, {@link io.sara4j.diffusion.unet.Upsample2D}</li>
 *   <li>{@code models/transformers/transformer_2d.py}: {@link io.sara4j.diffusion.unet.Transformer2DModel}</li>
 *   <li>{@code models/attention.py}: {@link io.sara4j.diffusion.unet.BasicTransformerBlock},
 *       {@link io.sara4j.diffusion.unet.FeedForward}</li>
 *   <li>{@code models/activations.py}: {@link io.sara4j.diffusion.unet.GEGLU}</li>
 *   <li>{@code models/embeddings.py}: {@link io.sara4j.diffusion.unet.Timesteps},
 *       {@link io.sara4j.diffusion.unet.TimestepEmbedding}</li>
 * </ul>
 * The attention layers themselves ({@code attn1}, {@code attn2}) are the core's
 * {@link io.sara4j.core.nn.Attention}, which mirrors {@code models/attention_processor.py}.
 *
 * <p>Only what SD1.x/2.x configs use is implemented; anything else is rejected when the config is
 * read. Model code never creates an {@code NDManager}: parameters live in the manager given to the
 * constructors, activations in the manager of the forward's input.
 */
package io.sara4j.diffusion.unet;
