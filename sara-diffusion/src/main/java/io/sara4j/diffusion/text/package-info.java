/**
 * Text conditioning for Stable Diffusion: the CLIP tokenizer and the CLIP text encoder.
 *
 * <p>The tokenizer mirrors transformers' {@code models/clip/tokenization_clip.py} (slow
 * {@code CLIPTokenizer}, clean-up without {@code ftfy}): {@link io.sara4j.diffusion.text.ClipTokenizer}
 * loads a diffusers {@code tokenizer/} folder ({@code vocab.json}, {@code merges.txt}, optional
 * {@code tokenizer_config.json} / {@code special_tokens_map.json}) and produces the (B, 77) int64
 * ids the CLIP text encoder reads.
 *
 * <p>The text encoder mirrors {@code transformers/models/clip/modeling_clip.py} (v4.34.0) class by
 * class — {@code CLIPTextModel}, {@code CLIPTextTransformer}, {@code CLIPTextEmbeddings},
 * {@code CLIPEncoder}, {@code CLIPEncoderLayer}, {@code CLIPAttention}, {@code CLIPMLP} — and
 * {@code configuration_clip.py}'s {@code CLIPTextConfig}. State-dict keys equal the transformers
 * keys ({@code text_model.encoder.layers.0.self_attn.q_proj.weight}).
 */
package io.sara4j.diffusion.text;
