package io.sara4j.core.peft;

import java.util.Locale;

/**
 * The learning rate of each step as a pure function of the step index.
 *
 * <p>Cases of {@link #lr(long)} for the 0-based index s of the step about to run, base rate η,
 * warm-up W and planned steps T:
 * <ol>
 *   <li>warm-up, s &lt; W: η·(s + 1)/W, rising linearly to η (the first step is never wasted at 0);
 *   <li>{@link Kind#CONSTANT}: η;
 *   <li>{@link Kind#LINEAR}: η·max(0, 1 − p) with progress p = (s − W)/(T − W);
 *   <li>{@link Kind#COSINE}: η·½·(1 + cos(π·min(1, p))), the schedule of the paper's runs (§5.1).
 * </ol>
 *
 * @param kind the decay shape after warm-up
 * @param baseLearningRate η
 * @param warmupSteps W ≥ 0
 * @param totalSteps T, required (&gt; W) for linear and cosine decay; ignored for constant
 */
public record LearningRateSchedule(Kind kind, double baseLearningRate, long warmupSteps, long totalSteps) {

    /** The decay shape after warm-up. */
    public enum Kind {
        CONSTANT, LINEAR, COSINE;

        /** Parses {@code constant}, {@code linear} or {@code cosine} (any case). */
        public static Kind parse(String name) {
            for (Kind k : values()) {
                if (k.name().equalsIgnoreCase(name.trim())) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unsupported value '" + name + "' for schedule (supported: constant, linear, cosine)");
        }

        /** The lower-case name used in configs and files. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Validates the fields, naming the one that is wrong. */
    public LearningRateSchedule {
        if (kind == null) {
            throw new IllegalArgumentException("schedule kind is required (constant, linear or cosine)");
        }
        if (!(baseLearningRate > 0) || Double.isInfinite(baseLearningRate)) {
            throw new IllegalArgumentException("learning rate must be a positive finite number, got " + baseLearningRate);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmupSteps must be >= 0, got " + warmupSteps);
        }
        if (kind != Kind.CONSTANT && totalSteps <= warmupSteps) {
            throw new IllegalArgumentException("the " + kind.id() + " schedule needs totalSteps (the planned number of steps) "
                    + "greater than warmupSteps=" + warmupSteps + ", got totalSteps=" + totalSteps
                    + "; set totalSteps or use the constant schedule");
        }
    }

    /** A constant rate without warm-up. */
    public static LearningRateSchedule constant(double learningRate) {
        return new LearningRateSchedule(Kind.CONSTANT, learningRate, 0, 0);
    }

    /** The learning rate for the step with 0-based index {@code step}. */
    public double lr(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step index must be >= 0, got " + step);
        }
        if (step < warmupSteps) {                                   // case 1
            return baseLearningRate * (step + 1) / warmupSteps;
        }
        if (kind == Kind.CONSTANT) {                                // case 2
            return baseLearningRate;
        }
        double progress = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
        if (kind == Kind.LINEAR) {                                  // case 3
            return baseLearningRate * (1.0 - progress);
        }
        return baseLearningRate * 0.5 * (1.0 + Math.cos(Math.PI * progress)); // case 4
    }
}
