/**
 * Text conditioning for Stable Diffusion. The tokenizer mirrors transformers'
 * {@code models/clip/tokenization_clip.py} (slow {@code CLIPTokenizer}, clean-up without
 * {@code ftfy}): {@link io.sara4j.diffusion.text.ClipTokenizer} loads a diffusers
 * {@code tokenizer/} folder ({@code vocab.json}, {@code merges.txt}, optional
 * {@code tokenizer_config.json} / {@code special_tokens_map.json}) and produces the (B, 77) int64
 * ids the CLIP text encoder reads.
 */
package io.sara4j.diffusion.text;
