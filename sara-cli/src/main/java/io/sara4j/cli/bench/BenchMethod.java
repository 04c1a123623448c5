package io.sara4j.cli.bench;

import io.sara4j.core.peft.FineTuner;
import io.sara4j.core.peft.FullFineTune;
import io.sara4j.core.peft.LearningRateSchedule;
import io.sara4j.core.peft.Lora;
import io.sara4j.core.peft.LoraConfig;
import io.sara4j.core.peft.MaskedDenseFineTune;
import io.sara4j.core.peft.NameFilter;
import io.sara4j.core.peft.OptimizerConfig;
import io.sara4j.core.peft.Sara;
import io.sara4j.core.peft.SaraConfig;
import io.sara4j.core.peft.SelectionRule;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The fine-tuning configurations {@code sara bench} compares (issue 11), each with fixed settings so
 * that runs on different days measure the same thing: learning rate 1e-4 for every method, constant
 * schedule, AdamW defaults otherwise; SaRA trains the 10% of weights smallest in magnitude (θ the
 * exact quantile); progressive re-selection is off, so every measured step is a steady-state step.
 */
public enum BenchMethod {
    /** No trainable weight; the gradient reaches the input latents only: the activation floor. */
    FROZEN("frozen"),
    /**
     * {@link #FROZEN} plus the gradient of every weight, computed by backward and left unused (no
     * optimizer, no selection): the compute floor of any method whose gradients reach the weights of
     * every layer, SaRA included, since the engine forms a weight's dense gradient before any
     * selection can gather from it.
     */
    WEIGHT_GRADIENTS("weight-grads"),
    /** AdamW on every parameter. */
    FULL("full"),
    /** SaRA at the 10% quantile of |w|, no rank penalty (λ_rank 0). */
    SARA("sara"),
    /** SaRA as {@link #SARA} plus the paper's nuclear-norm penalty (λ_rank 5e-4, one random layer per step). */
    SARA_RANK("sara-rank"),
    /** Full-size gradient times the mask (LT-SFT style), same selection as {@link #SARA}. */
    MASKED_DENSE("masked-dense"),
    /** LoRA on attention to_q/to_k/to_v/to_out.0 with the rank whose count comes closest to SaRA's. */
    LORA_MATCHED("lora-matched"),
    /** LoRA rank 4 on the same attention targets. */
    LORA_R4("lora-r4");

    /** The fraction of weights SaRA trains by default here (the benchmark setting). */
    public static final double SARA_FRACTION = 0.1;
    /** The learning rate of every method here. */
    public static final double LEARNING_RATE = 1e-4;

    private final String id;

    BenchMethod(String id) {
        this.id = id;
    }

    /** The name used on the command line, in tables and in JSON. */
    public String id() {
        return id;
    }

    /** Every method's id, comma-separated, in table order. */
    public static String allIds() {
        return Arrays.stream(values()).map(BenchMethod::id).collect(Collectors.joining(","));
    }

    /**
     * The method named {@code id}.
     *
     * @throws IllegalArgumentException naming the value and the supported ones
     */
    public static BenchMethod of(String id) {
        for (BenchMethod m : values()) {
            if (m.id.equals(id.trim().toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new IllegalArgumentException("unsupported value '" + id + "' for --methods (supported: " + allIds() + ")");
    }

    /** The methods named in a comma-separated list, in the order given, without repeats. */
    public static List<BenchMethod> parseList(String ids) {
        return Arrays.stream(ids.split(",")).filter(s -> !s.isBlank()).map(BenchMethod::of).distinct().toList();
    }

    /**
     * Attaches this method to {@code unet} for a run of {@code totalSteps} steps.
     *
     * @return the tuner, or {@code null} for {@link #FROZEN} and {@link #WEIGHT_GRADIENTS}, which
     *     train nothing (the latter only makes every weight require a gradient)
     */
    public FineTuner attach(UNet2DConditionModel unet, long totalSteps, long seed) {
        return attach(unet, totalSteps, seed, SARA_FRACTION);
    }

    /**
     * As {@link #attach(UNet2DConditionModel, long, long)} with SaRA (and masked-dense, and the
     * matched LoRA's budget) at {@code saraFraction} of the weights.
     */
    public FineTuner attach(UNet2DConditionModel unet, long totalSteps, long seed, double saraFraction) {
        if (this == WEIGHT_GRADIENTS) {
            unet.namedParameters().values().forEach(p -> p.data().setRequiresGradient(true));
        }
        OptimizerConfig optimizer = OptimizerConfig.defaults().withLearningRate(LEARNING_RATE)
                .withSchedule(LearningRateSchedule.Kind.CONSTANT).withTotalSteps(totalSteps);
        LoraConfig lora = LoraConfig.rank(4).withAlpha(4).withOptimizer(optimizer).withSeed(seed);
        return switch (this) {
            case FROZEN, WEIGHT_GRADIENTS -> null;
            case FULL -> FullFineTune.attach(unet, NameFilter.all(), optimizer);
            case SARA -> Sara.attach(unet, saraConfig(optimizer, 0, seed, saraFraction));
            case SARA_RANK -> Sara.attach(unet, saraConfig(optimizer, SaraConfig.DEFAULT_RANK_LAMBDA, seed, saraFraction));
            case MASKED_DENSE -> MaskedDenseFineTune.attach(unet, saraConfig(optimizer, 0, seed, saraFraction));
            case LORA_MATCHED -> Lora.attach(unet, Lora.matchParams(unet, lora, saraBudget(unet, saraFraction)));
            case LORA_R4 -> Lora.attach(unet, lora);
        };
    }

    /**
     * SaRA's trainable count at {@link #SARA_FRACTION}: round(f·n), which the exact-quantile
     * selection reaches up to ties at θ (none with random weights).
     */
    static long saraBudget(UNet2DConditionModel unet, double saraFraction) {
        return Math.round(saraFraction * unet.parameterCount());
    }

    private static SaraConfig saraConfig(OptimizerConfig optimizer, double rankLambda, long seed, double fraction) {
        return SaraConfig.builder().setSelection(new SelectionRule.Fraction(fraction)).optOptimizer(optimizer)
                .optRankLambda(rankLambda).optProgressiveIter(0).optSeed(seed).build();
    }
}
