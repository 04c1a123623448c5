/**
 * The text encoder of Stable Diffusion: transformers' CLIP text model, mirroring
 * {@code transformers/models/clip/modeling_clip.py} (v4.34.0) class by class — {@code CLIPTextModel},
 * {@code CLIPTextTransformer}, {@code CLIPTextEmbeddings}, {@code CLIPEncoder},
 * {@code CLIPEncoderLayer}, {@code CLIPAttention}, {@code CLIPMLP} — and
 * {@code configuration_clip.py}'s {@code CLIPTextConfig}. State-dict keys equal the transformers
 * keys ({@code text_model.encoder.layers.0.self_attn.q_proj.weight}).
 *
 * <p>The CLIP BPE tokenizer that produces the input ids lives in this package too.
 */
package io.sara4j.diffusion.text;
