package io.sara4j.cli;

import io.sara4j.core.nn.Module;
import io.sara4j.core.peft.FineTuner;
import io.sara4j.core.peft.FullFineTune;
import io.sara4j.core.peft.LearningRateSchedule;
import io.sara4j.core.peft.Lora;
import io.sara4j.core.peft.LoraConfig;
import io.sara4j.core.peft.MaskedDenseFineTune;
import io.sara4j.core.peft.NameFilter;
import io.sara4j.core.peft.NuclearNormPenalty;
import io.sara4j.core.peft.OptimizerConfig;
import io.sara4j.core.peft.Sara;
import io.sara4j.core.peft.SaraConfig;
import io.sara4j.core.peft.SelectionRule;
import io.sara4j.core.peft.WeightMagnitudes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The fine-tuning method and its settings, shared by every command that trains: builds the
 * {@link FineTuner} for a module. Defaults are the paper's (θ = 2e-3, lr = 1e-3·exp(−350·θ) for the
 * sparse methods, cosine schedule, λ_rank = 5e-4, re-selection at half the steps).
 */
final class MethodOptions {
    @Option(names = "--method", defaultValue = "sara", paramLabel = "NAME",
            description = "sara, lora, full, random, largest or masked (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--threshold", defaultValue = "2e-3", paramLabel = "θ",
            description = "Train the weights with |w| < θ (default: ${DEFAULT-VALUE}).")
    double threshold;

    @Option(names = "--fraction", paramLabel = "F",
            description = "Instead of --threshold: train the smallest fraction F of the weights (θ is its exact quantile) (default: none, --threshold is used).")
    Double fraction;

    @Option(names = "--lr", paramLabel = "LR",
            description = "Learning rate (default: 1e-3·exp(−350·θ) for sparse methods, 1e-4 LoRA, 1e-5 full).")
    Double learningRate;

    @Option(names = "--schedule", defaultValue = "cosine", description = "constant, linear or cosine (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--warmup", defaultValue = "0", description = "Warm-up steps (default: ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--weight-decay", defaultValue = "1e-2", description = "Decoupled weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--max-grad-norm", defaultValue = "0", description = "Clip the global gradient norm; 0 disables (default: ${DEFAULT-VALUE}).")
    double maxGradNorm;

    @Option(names = "--rank-lambda", defaultValue = "5e-4", description = "Nuclear-norm penalty weight λ_rank (default: ${DEFAULT-VALUE}).")
    double rankLambda;

    @Option(names = "--rank-target", defaultValue = "values", description = "Penalise the values or the delta (default: ${DEFAULT-VALUE}).")
    String rankTarget;

    @Option(names = "--rank-all-layers", description = "Penalise every eligible layer each step (default: one random layer).")
    boolean rankAllLayers;

    @Option(names = "--progressive-iter", paramLabel = "STEP",
            description = "Re-select the entries still below θ after this many steps; 0 disables (default: half the steps).")
    Long progressiveIter;

    @Option(names = "--include", split = ",", paramLabel = "GLOB", description = "Only tune parameters matching these globs (default: every parameter).")
    List<String> include = new ArrayList<>();

    @Option(names = "--exclude", split = ",", paramLabel = "GLOB", description = "Do not tune parameters matching these globs (default: none).")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--lora-rank", defaultValue = "4", description = "LoRA rank r (default: ${DEFAULT-VALUE}).")
    int loraRank;

    @Option(names = "--lora-alpha", description = "LoRA alpha (default: the rank, so the scale is 1).")
    Double loraAlpha;

    @Option(names = "--lora-dropout", defaultValue = "0", description = "LoRA input dropout (default: ${DEFAULT-VALUE}).")
    double loraDropout;

    @Option(names = "--match-params", description = "LoRA: choose the rank so the trainable count matches SaRA's at --threshold (default: off, --lora-rank).")
    boolean matchParams;

    /** Attaches the chosen method to {@code module} for a run of {@code totalSteps} steps. */
    FineTuner attach(Module module, long totalSteps, long seed) {
        return switch (method.toLowerCase(Locale.ROOT)) {
            case "sara" -> Sara.attach(module, saraConfig(totalSteps, seed));
            case "random", "largest" -> Sara.attachMatchingCount(module, saraConfig(totalSteps, seed), method.toLowerCase(Locale.ROOT));
            case "masked" -> MaskedDenseFineTune.attach(module, saraConfig(totalSteps, seed));
            case "full" -> FullFineTune.attach(module, targets(), optimizer(totalSteps));
            case "lora" -> Lora.attach(module, loraConfig(module, seed, totalSteps));
            default -> throw new IllegalArgumentException("unsupported value '" + method
                    + "' for --method (supported: sara, lora, full, random, largest, masked)");
        };
    }

    private NameFilter targets() {
        return new NameFilter(include.isEmpty() ? NameFilter.all().include() : include, exclude);
    }

    private OptimizerConfig optimizer(long totalSteps) {
        OptimizerConfig o = OptimizerConfig.defaults().withWeightDecay(weightDecay).withSchedule(scheduleKind())
                .withWarmupSteps(warmup).withTotalSteps(totalSteps).withMaxGradNorm(maxGradNorm);
        return learningRate == null ? o : o.withLearningRate(learningRate);
    }

    private LearningRateSchedule.Kind scheduleKind() {
        try {
            return LearningRateSchedule.Kind.valueOf(schedule.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unsupported value '" + schedule + "' for --schedule (supported: constant, linear, cosine)", e);
        }
    }

    SaraConfig saraConfig(long totalSteps, long seed) {
        SaraConfig.Builder b = SaraConfig.builder()
                .setSelection(fraction == null ? new SelectionRule.Threshold(threshold) : new SelectionRule.Fraction(fraction))
                .optOptimizer(optimizer(totalSteps))
                .optTotalSteps(totalSteps)
                .optRankLambda(rankLambda)
                .optRankTarget(rankTargetValue())
                .optRankAllLayers(rankAllLayers)
                .optTargets(targets())
                .optSeed(seed);
        if (progressiveIter != null) {
            b.optProgressiveIter(progressiveIter);
        }
        return b.build();
    }

    private NuclearNormPenalty.Target rankTargetValue() {
        return switch (rankTarget.toLowerCase(Locale.ROOT)) {
            case "values" -> NuclearNormPenalty.Target.VALUES;
            case "delta" -> NuclearNormPenalty.Target.DELTA;
            default -> throw new IllegalArgumentException("unsupported value '" + rankTarget
                    + "' for --rank-target (supported: values, delta)");
        };
    }

    private LoraConfig loraConfig(Module module, long seed, long totalSteps) {
        LoraConfig c = LoraConfig.rank(loraRank).withAlpha(loraAlpha == null ? loraRank : loraAlpha)
                .withDropout(loraDropout).withOptimizer(optimizer(totalSteps)).withSeed(seed);
        if (matchParams) {
            long count = WeightMagnitudes.of(module, targets(), List.of(threshold)).below().get(0);
            c = Lora.matchParams(module, c, count);
        }
        return c;
    }
}
