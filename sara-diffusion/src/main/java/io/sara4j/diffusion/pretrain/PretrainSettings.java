package io.sara4j.diffusion.pretrain;

import io.sara4j.diffusion.data.shapes.Style;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a base model is pretrained on the shapes benchmark.
 *
 * @param architecture what is built
 * @param styles the styles it learns (the others stay unseen, for fine-tuning to teach)
 * @param imagesPerStyle distinct examples per style (every style shows the same content)
 * @param emptyCaptionFraction share of examples trained with the empty prompt (for guidance)
 * @param steps optimizer steps
 * @param batchSize examples per step
 * @param learningRate peak AdamW learning rate of the cosine schedule
 * @param warmupSteps linear warm-up steps
 * @param seed fixes initialisation, data, batches, noise and timesteps
 * @param checkpointEvery checkpoint interval in steps (0: only at the end)
 * @param logEvery progress interval in steps
 */
public record PretrainSettings(BaseModelArchitecture architecture, List<Style> styles, int imagesPerStyle,
        double emptyCaptionFraction, int steps, int batchSize, double learningRate, int warmupSteps, long seed,
        int checkpointEvery, int logEvery) {

    /** The styles {@code models/shapes-base} learns; stripes, dots and speckle stay unseen. */
    public static final List<Style> SHAPES_BASE_STYLES = List.of(Style.PLAIN, Style.OUTLINE, Style.CHECKER,
            Style.GRADIENT);

    /** AdamW's decoupled weight decay: none, the model is trained from scratch on unlimited data. */
    public static final double WEIGHT_DECAY = 0;
    /** The global gradient norm is clipped to this (keeps the early high-loss steps stable). */
    public static final double MAX_GRAD_NORM = 1.0;

    /** Validates what the records it feeds do not check themselves. */
    public PretrainSettings {
        styles = List.copyOf(styles);
        if (styles.isEmpty() || styles.stream().distinct().count() != styles.size()) {
            throw new IllegalArgumentException("styles must be non-empty and distinct, found " + styles);
        }
        if (imagesPerStyle < 1) {
            throw new IllegalArgumentException("imagesPerStyle must be >= 1, found " + imagesPerStyle);
        }
        if (!(learningRate > 0 && Double.isFinite(learningRate))) {
            throw new IllegalArgumentException("learningRate must be positive and finite, found " + learningRate);
        }
        if (warmupSteps < 0 || warmupSteps >= steps) {
            throw new IllegalArgumentException("warmupSteps must be in [0, steps), found " + warmupSteps);
        }
    }

    /** The settings of the bundled {@code models/shapes-base}. */
    public static PretrainSettings shapesBase() {
        return new PretrainSettings(BaseModelArchitecture.SHAPES_BASE, SHAPES_BASE_STYLES, 2048, 0.1, 5000, 16, 2e-3,
                50, 0, 250, 25);
    }

    /** Every setting by its JSON name, for {@code training.json}. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("image_size", architecture.imageSize());
        m.put("block_out_channels", architecture.blockOutChannels());
        m.put("layers_per_block", architecture.layersPerBlock());
        m.put("attention_head_dim", architecture.attentionHeadDim());
        m.put("norm_num_groups", architecture.normGroups());
        m.put("text_width", architecture.textWidth());
        m.put("text_layers", architecture.textLayers());
        m.put("text_heads", architecture.textHeads());
        m.put("styles", styles.stream().map(Style::label).toList());
        m.put("images_per_style", imagesPerStyle);
        m.put("empty_caption_fraction", emptyCaptionFraction);
        m.put("steps", steps);
        m.put("batch_size", batchSize);
        m.put("learning_rate", learningRate);
        m.put("schedule", "cosine");
        m.put("warmup_steps", warmupSteps);
        m.put("weight_decay", WEIGHT_DECAY);
        m.put("max_grad_norm", MAX_GRAD_NORM);
        m.put("seed", seed);
        m.put("checkpoint_every", checkpointEvery);
        return m;
    }
}
