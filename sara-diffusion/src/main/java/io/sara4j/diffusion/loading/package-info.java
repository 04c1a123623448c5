/**
 * Shared plumbing for reading pretrained components: {@code config.json} into config records
 * (the role of diffusers' {@code ConfigMixin.from_config} / transformers' {@code PretrainedConfig})
 * and locating safetensors weights the way {@code from_pretrained} names them
 * ({@code diffusion_pytorch_model[.variant].safetensors}, {@code model[.variant].safetensors}).
 */
package io.sara4j.diffusion.loading;
