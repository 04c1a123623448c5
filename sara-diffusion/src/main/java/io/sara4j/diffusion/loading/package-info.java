/**
 * Reading and writing pretrained component folders ({@code unet/}, {@code vae/},
 * {@code text_encoder/}): the role of diffusers' {@code ConfigMixin} / {@code ModelMixin} and
 * transformers' {@code PretrainedConfig} / {@code PreTrainedModel} {@code from_pretrained} and
 * {@code save_pretrained}.
 *
 * <ul>
 *   <li>{@link io.sara4j.diffusion.loading.ConfigJson}: {@code config.json} into a config record
 *       (unknown keys logged, bad values named with the file and field) and back.</li>
 *   <li>{@link io.sara4j.diffusion.loading.WeightFiles}: the weights file as the libraries name it
 *       ({@code diffusion_pytorch_model[.variant].safetensors}, {@code model[.variant].safetensors};
 *       pickle and sharded checkpoints refused with advice), the compute types models support
 *       (float32, float16, float64), and the one load and save path of every model: load is core's
 *       strict streaming {@link io.sara4j.core.io.StateDictLoader} (keys and shapes checked both
 *       ways from the header, then one tensor at a time, never through the Java heap); save writes
 *       {@code config.json} and the safetensors file atomically.</li>
 * </ul>
 */
package io.sara4j.diffusion.loading;
