package io.sara4j.diffusion.loading;

import io.sara4j.diffusion.unet.UNet2DConditionConfig;
import io.sara4j.diffusion.vae.AutoencoderKLConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The key mapping between sara4j's (diffusers/transformers) parameter names and the original
 * latent-diffusion ("LDM") single-file layout, for one component, as a table of rules.
 *
 * <p>Each {@link Rule} pairs a diffusers key prefix with an LDM key prefix (a whole key when it does
 * not end in a dot) and lists renames of the rest of the key ({@code norm1.} ↔ {@code in_layers.0.}).
 * A key is mapped by its longest matching prefix, in either direction, so the same table converts
 * both ways. Two tensor reshapes ride on a rename: {@link Shape#CONV_1X1} (the VAE's attention
 * projections are 1×1 convolutions in LDM, linear layers in diffusers) and {@link Shape#THIRD} (the
 * OpenCLIP fused {@code in_proj_weight}/{@code in_proj_bias} holds q, k and v stacked along dim 0).
 *
 * <p>The tables follow diffusers' {@code convert_diffusers_to_original_stable_diffusion.py} and
 * {@code loaders/single_file_utils.py}; the UNet and VAE tables are generated from the component's
 * config because the LDM block indices count resnets, attentions and resamplers in sequence.
 */
public final class LdmKeyMap {
    /** LDM prefix of the UNet. */
    public static final String UNET_PREFIX = "model.diffusion_model.";
    /** LDM prefix of the VAE. */
    public static final String VAE_PREFIX = "first_stage_model.";
    /** LDM prefix of SD1.x's CLIP text encoder (transformers layout). */
    public static final String CLIP_PREFIX = "cond_stage_model.transformer.";
    /** LDM prefix of SD2.x's OpenCLIP text encoder. */
    public static final String OPEN_CLIP_PREFIX = "cond_stage_model.model.";

    /** How a tensor's shape differs between the two layouts. */
    public enum Shape {
        /** Same shape. */
        SAME,
        /** Linear (O, I) in diffusers, 1×1 convolution (O, I, 1, 1) in LDM (weights only). */
        CONV_1X1,
        /** One third (q, k or v, in that order along dim 0) of a fused LDM tensor. */
        THIRD
    }

    /** A rename of the part of a key after its rule's prefix. */
    public record Rename(String diffusers, String ldm, Shape shape, int part) {
        static Rename of(String diffusers, String ldm) {
            return new Rename(diffusers, ldm, Shape.SAME, 0);
        }
    }

    /** A pair of key prefixes (or whole keys) with the renames of what follows. */
    public record Rule(String diffusers, String ldm, List<Rename> renames) {}

    /**
     * Where a diffusers parameter lives in the LDM file.
     *
     * @param key the full LDM key
     * @param shape how the shapes differ
     * @param part for {@link Shape#THIRD}: 0 (q), 1 (k) or 2 (v)
     */
    public record Target(String key, Shape shape, int part) {}

    private final String prefix;
    private final List<Rule> rules;

    private LdmKeyMap(String prefix, List<Rule> rules) {
        this.prefix = prefix;
        this.rules = List.copyOf(rules);
    }

    /** The LDM prefix of every key of this component. */
    public String prefix() {
        return prefix;
    }

    /** The rule table. */
    public List<Rule> rules() {
        return rules;
    }

    /**
     * The LDM location of diffusers parameter {@code key}.
     *
     * @throws IllegalArgumentException if no rule covers the key
     */
    public Target toLdm(String key) {
        Rule rule = rules.stream().filter(r -> matches(key, r.diffusers()))
                .max(Comparator.comparingInt(r -> r.diffusers().length()))
                .orElseThrow(() -> new IllegalArgumentException("no LDM rule for the parameter '" + key + "'"));
        String rest = key.substring(rule.diffusers().length());
        for (Rename r : rule.renames()) {
            if (rest.startsWith(r.diffusers())) {
                String tail = rest.substring(r.diffusers().length());
                if (r.shape() == Shape.THIRD) {
                    return new Target(prefix + rule.ldm() + r.ldm() + tail, Shape.THIRD, r.part());
                }
                Shape shape = r.shape() == Shape.CONV_1X1 && tail.equals("weight") ? Shape.CONV_1X1 : Shape.SAME;
                return new Target(prefix + rule.ldm() + r.ldm() + tail, shape, 0);
            }
        }
        return new Target(prefix + rule.ldm() + rest, Shape.SAME, 0);
    }

    /**
     * The diffusers parameter(s) stored under LDM {@code key} (three for a fused q/k/v tensor, in
     * q, k, v order), or empty when no rule covers it.
     */
    public List<String> fromLdm(String key) {
        if (!key.startsWith(prefix)) {
            return List.of();
        }
        String local = key.substring(prefix.length());
        Optional<Rule> found = rules.stream().filter(r -> matches(local, r.ldm()))
                .max(Comparator.comparingInt(r -> r.ldm().length()));
        if (found.isEmpty()) {
            return List.of();
        }
        Rule rule = found.get();
        String rest = local.substring(rule.ldm().length());
        List<String> out = new ArrayList<>();
        for (Rename r : rule.renames()) {
            if (rest.startsWith(r.ldm())) {
                String tail = rest.substring(r.ldm().length());
                out.add(rule.diffusers() + r.diffusers() + tail);
                if (r.shape() != Shape.THIRD) {
                    return out;
                }
            }
        }
        if (out.isEmpty()) {
            out.add(rule.diffusers() + rest);
        }
        return out;
    }

    private static boolean matches(String key, String pattern) {
        return pattern.endsWith(".") ? key.startsWith(pattern) : key.equals(pattern);
    }

    // ---------------------------------------------------------------- UNet

    private static final List<Rename> UNET_RESNET = List.of(
            Rename.of("norm1.", "in_layers.0."),
            Rename.of("conv1.", "in_layers.2."),
            Rename.of("time_emb_proj.", "emb_layers.1."),
            Rename.of("norm2.", "out_layers.0."),
            Rename.of("conv2.", "out_layers.3."),
            Rename.of("conv_shortcut.", "skip_connection."));

    /**
     * The UNet table for {@code config}: {@code input_blocks.N.M} count the down blocks' resnets
     * (M = 0), their transformers (M = 1) and downsamplers ({@code N.0.op}) in order after
     * {@code conv_in} (N = 0); {@code output_blocks.N.M} likewise for the up blocks, the upsampler
     * following the transformer of the block's last layer; {@code middle_block.0/1/2} are resnet,
     * transformer, resnet. Transformer keys are the same in both layouts.
     */
    public static LdmKeyMap unet(UNet2DConditionConfig config) {
        List<Rule> rules = new ArrayList<>();
        rules.add(new Rule("time_embedding.linear_1.", "time_embed.0.", List.of()));
        rules.add(new Rule("time_embedding.linear_2.", "time_embed.2.", List.of()));
        rules.add(new Rule("conv_in.", "input_blocks.0.0.", List.of()));
        rules.add(new Rule("conv_norm_out.", "out.0.", List.of()));
        rules.add(new Rule("conv_out.", "out.2.", List.of()));
        int n = config.blockOutChannels().size();
        int index = 1;
        for (int i = 0; i < n; i++) {
            String down = "down_blocks." + i + ".";
            for (int j = 0; j < config.layersPerBlock().get(i); j++) {
                rules.add(new Rule(down + "resnets." + j + ".", "input_blocks." + index + ".0.", UNET_RESNET));
                rules.add(new Rule(down + "attentions." + j + ".", "input_blocks." + index + ".1.", List.of()));
                index++;
            }
            if (i < n - 1) {
                rules.add(new Rule(down + "downsamplers.0.conv.", "input_blocks." + index + ".0.op.", List.of()));
                index++;
            }
        }
        rules.add(new Rule("mid_block.resnets.0.", "middle_block.0.", UNET_RESNET));
        rules.add(new Rule("mid_block.attentions.0.", "middle_block.1.", List.of()));
        rules.add(new Rule("mid_block.resnets.1.", "middle_block.2.", UNET_RESNET));
        index = 0;
        for (int i = 0; i < n; i++) {
            String up = "up_blocks." + i + ".";
            int layers = config.layersPerBlock().get(n - 1 - i) + 1;
            boolean attention = config.upBlockTypes().get(i).equals(UNet2DConditionConfig.CROSS_ATTN_UP_BLOCK);
            for (int j = 0; j < layers; j++) {
                rules.add(new Rule(up + "resnets." + j + ".", "output_blocks." + index + ".0.", UNET_RESNET));
                rules.add(new Rule(up + "attentions." + j + ".", "output_blocks." + index + ".1.", List.of()));
                if (j == layers - 1 && i < n - 1) {
                    rules.add(new Rule(up + "upsamplers.0.conv.", "output_blocks." + index + "."
                            + (attention ? 2 : 1) + ".conv.", List.of()));
                }
                index++;
            }
        }
        return new LdmKeyMap(UNET_PREFIX, rules);
    }

    // ---------------------------------------------------------------- VAE

    private static final List<Rename> VAE_RESNET = List.of(Rename.of("conv_shortcut.", "nin_shortcut."));
    private static final List<Rename> VAE_ATTENTION = List.of(
            Rename.of("group_norm.", "norm."),
            new Rename("to_q.", "q.", Shape.CONV_1X1, 0),
            new Rename("to_k.", "k.", Shape.CONV_1X1, 0),
            new Rename("to_v.", "v.", Shape.CONV_1X1, 0),
            new Rename("to_out.0.", "proj_out.", Shape.CONV_1X1, 0));

    /**
     * The VAE table for {@code config}: {@code encoder.down.N.block.M}/{@code downsample},
     * {@code decoder.up.N} numbered from the lowest resolution level upwards (so diffusers'
     * {@code up_blocks.i} is {@code up.(levels−1−i)}), {@code mid.block_1/attn_1/block_2},
     * {@code norm_out}, {@code nin_shortcut}, and the attention's {@code norm/q/k/v/proj_out}.
     */
    public static LdmKeyMap vae(AutoencoderKLConfig config) {
        List<Rule> rules = new ArrayList<>();
        rules.add(new Rule("encoder.conv_norm_out.", "encoder.norm_out.", List.of()));
        rules.add(new Rule("decoder.conv_norm_out.", "decoder.norm_out.", List.of()));
        rules.add(new Rule("encoder.", "encoder.", List.of()));
        rules.add(new Rule("decoder.", "decoder.", List.of()));
        rules.add(new Rule("quant_conv.", "quant_conv.", List.of()));
        rules.add(new Rule("post_quant_conv.", "post_quant_conv.", List.of()));
        int n = config.blockOutChannels().size();
        int layers = config.layersPerBlock();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < layers; j++) {
                rules.add(new Rule("encoder.down_blocks." + i + ".resnets." + j + ".",
                        "encoder.down." + i + ".block." + j + ".", VAE_RESNET));
            }
            rules.add(new Rule("encoder.down_blocks." + i + ".downsamplers.0.", "encoder.down." + i + ".downsample.",
                    List.of()));
            int level = n - 1 - i;
            for (int j = 0; j < layers + 1; j++) {
                rules.add(new Rule("decoder.up_blocks." + i + ".resnets." + j + ".",
                        "decoder.up." + level + ".block." + j + ".", VAE_RESNET));
            }
            rules.add(new Rule("decoder.up_blocks." + i + ".upsamplers.0.", "decoder.up." + level + ".upsample.",
                    List.of()));
        }
        for (String side : List.of("encoder.", "decoder.")) {
            rules.add(new Rule(side + "mid_block.resnets.0.", side + "mid.block_1.", VAE_RESNET));
            rules.add(new Rule(side + "mid_block.resnets.1.", side + "mid.block_2.", VAE_RESNET));
            rules.add(new Rule(side + "mid_block.attentions.0.", side + "mid.attn_1.", VAE_ATTENTION));
        }
        return new LdmKeyMap(VAE_PREFIX, rules);
    }

    // ---------------------------------------------------------------- text encoders

    /** SD1.x: the transformers CLIPTextModel keys under {@code cond_stage_model.transformer.}. */
    public static LdmKeyMap clip() {
        return new LdmKeyMap(CLIP_PREFIX, List.of(new Rule("text_model.", "text_model.", List.of())));
    }

    private static final List<Rename> OPEN_CLIP_LAYER = List.of(
            Rename.of("layer_norm1.", "ln_1."),
            Rename.of("layer_norm2.", "ln_2."),
            Rename.of("mlp.fc1.", "mlp.c_fc."),
            Rename.of("mlp.fc2.", "mlp.c_proj."),
            Rename.of("self_attn.out_proj.", "attn.out_proj."),
            new Rename("self_attn.q_proj.", "attn.in_proj_", Shape.THIRD, 0),
            new Rename("self_attn.k_proj.", "attn.in_proj_", Shape.THIRD, 1),
            new Rename("self_attn.v_proj.", "attn.in_proj_", Shape.THIRD, 2));

    /**
     * SD2.x: OpenCLIP's text tower under {@code cond_stage_model.model.} for a CLIPTextModel of
     * {@code layers} layers: {@code token_embedding}, {@code positional_embedding},
     * {@code transformer.resblocks.N} ({@code ln_1/ln_2}, {@code mlp.c_fc/c_proj},
     * {@code attn.in_proj_weight/bias} = q, k, v stacked, {@code attn.out_proj}), {@code ln_final}.
     */
    public static LdmKeyMap openClip(int layers) {
        List<Rule> rules = new ArrayList<>();
        rules.add(new Rule("text_model.embeddings.token_embedding.weight", "token_embedding.weight", List.of()));
        rules.add(new Rule("text_model.embeddings.position_embedding.weight", "positional_embedding", List.of()));
        rules.add(new Rule("text_model.final_layer_norm.", "ln_final.", List.of()));
        for (int i = 0; i < layers; i++) {
            rules.add(new Rule("text_model.encoder.layers." + i + ".", "transformer.resblocks." + i + ".",
                    OPEN_CLIP_LAYER));
        }
        return new LdmKeyMap(OPEN_CLIP_PREFIX, rules);
    }
}
