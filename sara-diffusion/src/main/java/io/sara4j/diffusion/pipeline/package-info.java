/**
 * Whole models and the loops that use them: opening a diffusers model folder, text-to-image
 * sampling, and the training objective.
 *
 * <p>Mirrors diffusers 0.27.2:
 * <ul>
 *   <li>{@code pipelines/pipeline_utils.py} ({@code DiffusionPipeline.from_pretrained}: reading
 *       {@code model_index.json} and one subfolder per component):
 *       {@link io.sara4j.diffusion.pipeline.DiffusersFolder}</li>
 *   <li>{@code pipelines/stable_diffusion/pipeline_stable_diffusion.py} (prompt encoding,
 *       classifier-free guidance, the denoising loop, VAE decoding):
 *       {@link io.sara4j.diffusion.pipeline.StableDiffusionPipeline} with
 *       {@link io.sara4j.diffusion.pipeline.GenerationRequest} and
 *       {@link io.sara4j.diffusion.pipeline.Sampler} (DDIM, Euler or DDPM from the folder's scheduler
 *       config); {@link io.sara4j.diffusion.pipeline.Images} converts to and from RGB images
 *       ({@code image_processor.py})</li>
 *   <li>{@code examples/text_to_image/train_text_to_image.py} (the training step's loss):
 *       {@link io.sara4j.diffusion.pipeline.DiffusionObjective} over a
 *       {@link io.sara4j.diffusion.pipeline.Denoiser}, with
 *       {@link io.sara4j.diffusion.pipeline.LossOptions} (min-SNR-γ weighting by
 *       {@link io.sara4j.diffusion.pipeline.MinSnrWeighting}, noise offset, prediction type) and
 *       {@link io.sara4j.diffusion.pipeline.CaptionDropout} ({@code --proportion_empty_prompts})</li>
 * </ul>
 * {@link io.sara4j.diffusion.pipeline.SeededNoise} draws every noise tensor and timestep on the Java
 * side, so one seed fixes a whole sampling or training run whatever the engine drew before.
 *
 * <p>Components are loaded through {@link io.sara4j.diffusion.loading}; a pipeline computes in the
 * type it was loaded in (float32 or float16).
 */
package io.sara4j.diffusion.pipeline;
