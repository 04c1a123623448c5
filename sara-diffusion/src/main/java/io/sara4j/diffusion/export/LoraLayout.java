package io.sara4j.diffusion.export;

import java.util.Locale;

/**
 * The key names of an exported UNet LoRA file, per module path {@code M} (a diffusers module path
 * such as {@code down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q}).
 *
 * <ul>
 *   <li>{@link #DIFFUSERS}: {@code unet.M.lora_A.weight} (down) and {@code unet.M.lora_B.weight}
 *       (up), PEFT's factor names under the {@code unet.} prefix that diffusers'
 *       {@code load_lora_weights} assigns to the UNet. No alpha is stored: diffusers then uses
 *       lora_alpha = r, a scale of 1, and reads each module's rank from the factor shapes.
 *   <li>{@link #KOHYA}: {@code lora_unet_<M with . replaced by _>.lora_down.weight},
 *       {@code .lora_up.weight} and a scalar {@code .alpha} (= r, so alpha/r = 1), the names
 *       kohya-ss sd-scripts gives the diffusers-named UNet modules and AUTOMATIC1111/ComfyUI read.
 * </ul>
 * Both store conv factors as kohya and PEFT do: down (r, in, kh, kw), up (out, r, 1, 1).
 */
public enum LoraLayout {
    DIFFUSERS("unet.", ".lora_A.weight", ".lora_B.weight", null),
    KOHYA("lora_unet_", ".lora_down.weight", ".lora_up.weight", ".alpha");

    private final String prefix;
    private final String downSuffix;
    private final String upSuffix;
    private final String alphaSuffix;

    LoraLayout(String prefix, String downSuffix, String upSuffix, String alphaSuffix) {
        this.prefix = prefix;
        this.downSuffix = downSuffix;
        this.upSuffix = upSuffix;
        this.alphaSuffix = alphaSuffix;
    }

    /** The lower-case name used in file metadata and file names ({@code diffusers}, {@code kohya}). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The key stem of a module path: {@code unet.M} or {@code lora_unet_M_with_underscores}. */
    public String stem(String module) {
        return this == KOHYA ? prefix + module.replace('.', '_') : prefix + module;
    }

    /** The key of the down factor (r × fanIn, or r × in × kh × kw). */
    public String downKey(String module) {
        return stem(module) + downSuffix;
    }

    /** The key of the up factor (out × r, or out × r × 1 × 1). */
    public String upKey(String module) {
        return stem(module) + upSuffix;
    }

    /** The key of the scalar alpha, or null when the layout stores none (then alpha = r). */
    public String alphaKey(String module) {
        return alphaSuffix == null ? null : stem(module) + alphaSuffix;
    }

    /** The layout of a file from its key names: kohya if any key ends in {@code .lora_down.weight}. */
    static LoraLayout detect(Iterable<String> keys) {
        for (String k : keys) {
            if (k.endsWith(KOHYA.downSuffix) || k.endsWith(KOHYA.upSuffix)) {
                return KOHYA;
            }
        }
        return DIFFUSERS;
    }

    String downSuffix() {
        return downSuffix;
    }

    String upSuffix() {
        return upSuffix;
    }

    String alphaSuffix() {
        return alphaSuffix;
    }
}
