package io.sara4j.core.peft;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW and learning-rate settings shared by every method (SaRA paper §5.1 and its reference
 * script: AdamW with betas 0.9/0.999, eps 1e-8, weight decay 1e-2, cosine schedule).
 *
 * @param learningRate base rate η; {@code NaN} means the method's default (SaRA: 1e-3·exp(−350·θ))
 * @param beta1 first-moment decay
 * @param beta2 second-moment decay
 * @param eps added to the root of the second moment
 * @param weightDecay decoupled weight decay (AdamW: v ← v·(1 − η·wd) before the Adam update)
 * @param schedule the decay shape, or {@code null} for the default: cosine when
 *     {@code totalSteps} is known, constant otherwise
 * @param warmupSteps linear warm-up steps (0 for none)
 * @param totalSteps the planned number of steps (0 when unknown); cosine/linear decay and SaRA's
 *     default progressive re-selection point need it
 * @param maxGradNorm clip the global L2 norm of the trainable gradients to this value; 0 disables
 */
public record OptimizerConfig(double learningRate, double beta1, double beta2, double eps, double weightDecay,
        LearningRateSchedule.Kind schedule, long warmupSteps, long totalSteps, double maxGradNorm) {

    /** Validates each field, naming it. */
    public OptimizerConfig {
        if (!Double.isNaN(learningRate) && !(learningRate > 0 && Double.isFinite(learningRate))) {
            throw new IllegalArgumentException("learningRate must be positive and finite (or NaN for the default), got " + learningRate);
        }
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("eps must be > 0, got " + eps);
        }
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weightDecay must be >= 0, got " + weightDecay);
        }
        if (warmupSteps < 0 || totalSteps < 0) {
            throw new IllegalArgumentException("warmupSteps and totalSteps must be >= 0, got " + warmupSteps + " and " + totalSteps);
        }
        if (!(maxGradNorm >= 0)) {
            throw new IllegalArgumentException("maxGradNorm must be >= 0 (0 disables clipping), got " + maxGradNorm);
        }
    }

    /** The paper's AdamW settings, method-default learning rate, no warm-up, no clipping, plan unknown. */
    public static OptimizerConfig defaults() {
        return new OptimizerConfig(Double.NaN, 0.9, 0.999, 1e-8, 1e-2, null, 0, 0, 0);
    }

    /** A copy with base learning rate {@code lr}. */
    public OptimizerConfig withLearningRate(double lr) {
        return new OptimizerConfig(lr, beta1, beta2, eps, weightDecay, schedule, warmupSteps, totalSteps, maxGradNorm);
    }

    /** A copy with the given Adam betas. */
    public OptimizerConfig withBetas(double b1, double b2) {
        return new OptimizerConfig(learningRate, b1, b2, eps, weightDecay, schedule, warmupSteps, totalSteps, maxGradNorm);
    }

    /** A copy with Adam's epsilon {@code e}. */
    public OptimizerConfig withEps(double e) {
        return new OptimizerConfig(learningRate, beta1, beta2, e, weightDecay, schedule, warmupSteps, totalSteps, maxGradNorm);
    }

    /** A copy with decoupled weight decay {@code wd}. */
    public OptimizerConfig withWeightDecay(double wd) {
        return new OptimizerConfig(learningRate, beta1, beta2, eps, wd, schedule, warmupSteps, totalSteps, maxGradNorm);
    }

    /** A copy with schedule {@code kind}. */
    public OptimizerConfig withSchedule(LearningRateSchedule.Kind kind) {
        return new OptimizerConfig(learningRate, beta1, beta2, eps, weightDecay, kind, warmupSteps, totalSteps, maxGradNorm);
    }

    /** A copy with {@code steps} warm-up steps. */
    public OptimizerConfig withWarmupSteps(long steps) {
        return new OptimizerConfig(learningRate, beta1, beta2, eps, weightDecay, schedule, steps, totalSteps, maxGradNorm);
    }

    /** A copy planning {@code steps} steps. */
    public OptimizerConfig withTotalSteps(long steps) {
        return new OptimizerConfig(learningRate, beta1, beta2, eps, weightDecay, schedule, warmupSteps, steps, maxGradNorm);
    }

    /** A copy clipping the global gradient norm to {@code norm} (0 disables). */
    public OptimizerConfig withMaxGradNorm(double norm) {
        return new OptimizerConfig(learningRate, beta1, beta2, eps, weightDecay, schedule, warmupSteps, totalSteps, norm);
    }

    /** The schedule kind after defaults: the one given, else cosine with a plan, else constant. */
    public LearningRateSchedule.Kind resolvedScheduleKind() {
        if (schedule != null) {
            return schedule;
        }
        return totalSteps > 0 ? LearningRateSchedule.Kind.COSINE : LearningRateSchedule.Kind.CONSTANT;
    }

    /**
     * The settings for a file's config record, in a fixed order: {@code learning_rate} (null for the
     * method's default), {@code betas}, {@code eps}, {@code weight_decay}, {@code schedule} (resolved),
     * {@code warmup_steps}, {@code total_steps}, {@code max_grad_norm}.
     */
    public Map<String, Object> describe() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("learning_rate", Double.isNaN(learningRate) ? null : learningRate);
        o.put("betas", List.of(beta1, beta2));
        o.put("eps", eps);
        o.put("weight_decay", weightDecay);
        o.put("schedule", resolvedScheduleKind().id());
        o.put("warmup_steps", warmupSteps);
        o.put("total_steps", totalSteps);
        o.put("max_grad_norm", maxGradNorm);
        return o;
    }

    /** The schedule, using {@code defaultLearningRate} when no rate was given. */
    public LearningRateSchedule schedule(double defaultLearningRate) {
        double lr = Double.isNaN(learningRate) ? defaultLearningRate : learningRate;
        return new LearningRateSchedule(resolvedScheduleKind(), lr, warmupSteps, totalSteps);
    }
}
