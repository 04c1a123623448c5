package io.sara4j.core.peft;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything SaRA needs, immutable, with the paper's defaults (§5.1 and the reference script):
 * θ = 2e-3, learning rate 1e-3·exp(−350·θ) when none is given, AdamW 0.9/0.999/1e-8/1e-2, rank
 * penalty λ = 5e-4 on one random eligible layer per step, progressive re-selection at half of the
 * planned steps.
 *
 * <pre>{@code
 * SaraConfig c = SaraConfig.threshold(2e-3);                       // the paper's setting
 * SaraConfig d = SaraConfig.builder().setSelection(new SelectionRule.Fraction(0.05))
 *         .optTotalSteps(5000).optLearningRate(2e-4).build();
 * SaraConfig e = c.toBuilder().optProgressiveIter(0).build();      // without re-selection
 * }</pre>
 * Builder convention: {@code setX} for the required selection, {@code optX} for the rest;
 * {@link Builder#build()} validates.
 */
public final class SaraConfig {
    /** The paper's threshold. */
    public static final double DEFAULT_THRESHOLD = 2e-3;
    /** λ_rank of the reference script (the paper's hyper-parameter study also uses 5e-3). */
    public static final double DEFAULT_RANK_LAMBDA = 5e-4;
    /** Only matrices with min(shape) above this get the rank penalty (reference: 64). */
    public static final int DEFAULT_RANK_MIN_DIM = 64;

    private final SelectionRule selection;
    private final OptimizerConfig optimizer;
    private final double rankLambda;
    private final NuclearNormPenalty.Target rankTarget;
    private final boolean rankAllLayers;
    private final boolean rankIncludeConv;
    private final int rankMinDim;
    private final Long progressiveIter;
    private final NameFilter targets;
    private final long seed;

    private SaraConfig(Builder b) {
        this.selection = b.selection;
        this.optimizer = b.optimizer;
        this.rankLambda = b.rankLambda;
        this.rankTarget = b.rankTarget;
        this.rankAllLayers = b.rankAllLayers;
        this.rankIncludeConv = b.rankIncludeConv;
        this.rankMinDim = b.rankMinDim;
        this.progressiveIter = b.progressiveIter;
        this.targets = b.targets;
        this.seed = b.seed;
    }

    /** The paper's configuration with threshold θ. */
    public static SaraConfig threshold(double theta) {
        return builder().setSelection(new SelectionRule.Threshold(theta)).build();
    }

    /** The paper's configuration with θ chosen so that a fraction {@code f} of the entries is trained. */
    public static SaraConfig fraction(double f) {
        return builder().setSelection(new SelectionRule.Fraction(f)).build();
    }

    /** A builder with every default and no selection yet. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.selection = selection;
        b.optimizer = optimizer;
        b.rankLambda = rankLambda;
        b.rankTarget = rankTarget;
        b.rankAllLayers = rankAllLayers;
        b.rankIncludeConv = rankIncludeConv;
        b.rankMinDim = rankMinDim;
        b.progressiveIter = progressiveIter;
        b.targets = targets;
        b.seed = seed;
        return b;
    }

    /** The selection rule. */
    public SelectionRule selection() {
        return selection;
    }

    /** Optimizer and schedule settings. */
    public OptimizerConfig optimizer() {
        return optimizer;
    }

    /** λ of the rank penalty (0 disables it). */
    public double rankLambda() {
        return rankLambda;
    }

    /** Whether the nuclear norm is of the values or of their change. */
    public NuclearNormPenalty.Target rankTarget() {
        return rankTarget;
    }

    /** Penalize every eligible tensor each step (true) or one drawn at random (false, the reference). */
    public boolean rankAllLayers() {
        return rankAllLayers;
    }

    /** Whether conv weights, viewed as (out, in·k·k), can be penalized. */
    public boolean rankIncludeConv() {
        return rankIncludeConv;
    }

    /** Eligibility bound: min(rows, cols) must exceed it. */
    public int rankMinDim() {
        return rankMinDim;
    }

    /** Which parameters are tuned. */
    public NameFilter targets() {
        return targets;
    }

    /** Seed of every random choice (penalized layer, random selection). */
    public long seed() {
        return seed;
    }

    /**
     * The step count after which progressive re-selection runs: the value given, or half of the
     * planned steps when none was given; ≤ 0 means disabled (also when no plan is known).
     */
    public long resolvedProgressiveIter() {
        if (progressiveIter != null) {
            return progressiveIter;
        }
        return optimizer.totalSteps() / 2;
    }

    /**
     * The learning rate for a selection threshold θ: the one given, else the paper's rule
     * 1e-3·exp(−350·θ) (≈ 4.97e-4 at θ = 2e-3). Without a θ (random or largest selections) the
     * rule is evaluated at {@link #DEFAULT_THRESHOLD}.
     */
    public double learningRate(double theta) {
        if (!Double.isNaN(optimizer.learningRate())) {
            return optimizer.learningRate();
        }
        double t = Double.isNaN(theta) || Double.isInfinite(theta) ? DEFAULT_THRESHOLD : theta;
        return 1e-3 * Math.exp(-350 * t);
    }

    /** The method name written into adapter files: {@code sara} or the ablation's selection. */
    public String methodId() {
        return switch (selection.id()) {
            case "random" -> "random-sparse";
            case "largest" -> "largest-sparse";
            default -> "sara";
        };
    }

    /** The configuration as JSON, for the adapter file's metadata. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("selection", selection.describe());
        m.put("optimizer", optimizer.describe());
        m.put("rank_lambda", rankLambda);
        m.put("rank_target", rankTarget.name().toLowerCase(java.util.Locale.ROOT));
        m.put("rank_layers", rankAllLayers ? "all" : "one-random");
        m.put("rank_include_conv", rankIncludeConv);
        m.put("rank_min_dim", rankMinDim);
        m.put("progressive_iter", resolvedProgressiveIter());
        m.put("include", targets.include());
        m.put("exclude", targets.exclude());
        m.put("seed", seed);
        try {
            return new ObjectMapper().writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("config is not serializable", e);
        }
    }

    @Override
    public String toString() {
        return "SaraConfig" + toJson();
    }

    /** Collects settings; {@link #build()} validates them. */
    public static final class Builder {
        private SelectionRule selection;
        private OptimizerConfig optimizer = OptimizerConfig.defaults();
        private double rankLambda = DEFAULT_RANK_LAMBDA;
        private NuclearNormPenalty.Target rankTarget = NuclearNormPenalty.Target.VALUES;
        private boolean rankAllLayers;
        private boolean rankIncludeConv;
        private int rankMinDim = DEFAULT_RANK_MIN_DIM;
        private Long progressiveIter;
        private NameFilter targets = NameFilter.all();
        private long seed;

        private Builder() {}

        /** The selection rule (required). */
        public Builder setSelection(SelectionRule rule) {
            this.selection = rule;
            return this;
        }

        /** Shorthand for {@code setSelection(new Threshold(theta))}. */
        public Builder setThreshold(double theta) {
            return setSelection(new SelectionRule.Threshold(theta));
        }

        /** All optimizer settings at once. */
        public Builder optOptimizer(OptimizerConfig config) {
            this.optimizer = config;
            return this;
        }

        /** The base learning rate (default: 1e-3·exp(−350·θ)). */
        public Builder optLearningRate(double lr) {
            this.optimizer = optimizer.withLearningRate(lr);
            return this;
        }

        /** The planned number of steps (cosine schedule and default re-selection point). */
        public Builder optTotalSteps(long steps) {
            this.optimizer = optimizer.withTotalSteps(steps);
            return this;
        }

        /** The schedule shape (default: cosine with a plan, constant without). */
        public Builder optSchedule(LearningRateSchedule.Kind kind) {
            this.optimizer = optimizer.withSchedule(kind);
            return this;
        }

        /** Linear warm-up steps. */
        public Builder optWarmupSteps(long steps) {
            this.optimizer = optimizer.withWarmupSteps(steps);
            return this;
        }

        /** Global gradient-norm clipping (0 disables). */
        public Builder optMaxGradNorm(double norm) {
            this.optimizer = optimizer.withMaxGradNorm(norm);
            return this;
        }

        /** Decoupled weight decay. */
        public Builder optWeightDecay(double wd) {
            this.optimizer = optimizer.withWeightDecay(wd);
            return this;
        }

        /** λ of the rank penalty; 0 disables it. */
        public Builder optRankLambda(double lambda) {
            this.rankLambda = lambda;
            return this;
        }

        /** Penalize the values (default) or their change. */
        public Builder optRankTarget(NuclearNormPenalty.Target target) {
            this.rankTarget = target;
            return this;
        }

        /** Penalize all eligible tensors each step instead of one at random. */
        public Builder optRankAllLayers(boolean all) {
            this.rankAllLayers = all;
            return this;
        }

        /** Let conv weights, viewed as (out, in·k·k), be penalized. */
        public Builder optRankIncludeConv(boolean include) {
            this.rankIncludeConv = include;
            return this;
        }

        /** Eligibility bound on min(rows, cols) (default 64; tests use small matrices). */
        public Builder optRankMinDim(int minDim) {
            this.rankMinDim = minDim;
            return this;
        }

        /** Re-select after this many steps; ≤ 0 disables (default: half of the planned steps). */
        public Builder optProgressiveIter(long steps) {
            this.progressiveIter = steps;
            return this;
        }

        /** Which parameters to tune, by name globs. */
        public Builder optTargets(NameFilter filter) {
            this.targets = filter;
            return this;
        }

        /** Include globs, excluding nothing. */
        public Builder optInclude(String... globs) {
            this.targets = new NameFilter(List.of(globs), targets.exclude());
            return this;
        }

        /** Exclude globs. */
        public Builder optExclude(String... globs) {
            this.targets = new NameFilter(targets.include(), List.of(globs));
            return this;
        }

        /** Seed of the random choices. */
        public Builder optSeed(long s) {
            this.seed = s;
            return this;
        }

        /** Validates and builds, naming the field that is wrong. */
        public SaraConfig build() {
            if (selection == null) {
                throw new IllegalArgumentException("selection is required: call setThreshold(theta) or setSelection(rule)");
            }
            if (!(rankLambda >= 0) || Double.isInfinite(rankLambda)) {
                throw new IllegalArgumentException("rankLambda must be >= 0 and finite, got " + rankLambda);
            }
            if (rankMinDim < 0) {
                throw new IllegalArgumentException("rankMinDim must be >= 0, got " + rankMinDim);
            }
            if (optimizer == null || rankTarget == null || targets == null) {
                throw new IllegalArgumentException("optimizer, rankTarget and targets must not be null");
            }
            return new SaraConfig(this);
        }
    }
}
