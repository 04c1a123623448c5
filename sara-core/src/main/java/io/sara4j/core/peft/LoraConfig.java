package io.sara4j.core.peft;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LoRA settings (Hu et al. 2021; the paper's main baseline, SaRA §5.1 Table 1).
 *
 * @param rank r, the inner dimension of B·A
 * @param alpha the scale numerator: the update is (alpha/r)·B·A
 * @param dropout peft's {@code lora_dropout}: probability of zeroing each element of the LoRA
 *     branch's input (the base path sees the input unchanged), survivors scaled by 1/(1 − p), only
 *     while the layer is in training mode; 0 disables
 * @param targets module-path globs matched against whole paths or their dotted suffixes
 *     ({@code to_q} matches {@code ...attn1.to_q}); each matched {@code Linear} or
 *     ({@code groups = 1}) {@code Conv2d} gets an adapter
 * @param optimizer AdamW and schedule; learning rate default 1e-4 (diffusers' LoRA script)
 * @param seed seed of A's initialisation and of the dropout masks (the mask of a step is a function
 *     of the seed, the step number, the layer and the call, see {@link Lora})
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targets, OptimizerConfig optimizer, long seed) {
    /** The attention projections, diffusers' default LoRA targets for the UNet. */
    public static final List<String> ATTENTION_TARGETS = List.of("to_q", "to_k", "to_v", "to_out.0");
    /** The learning rate used when none is given. */
    public static final double DEFAULT_LEARNING_RATE = 1e-4;

    /** Validates each field, naming it. */
    public LoraConfig {
        if (rank < 1) {
            throw new IllegalArgumentException("LoRA rank must be >= 1, got " + rank);
        }
        if (!(alpha > 0)) {
            throw new IllegalArgumentException("LoRA alpha must be > 0, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        }
        targets = List.copyOf(targets);
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("LoRA needs at least one target module glob");
        }
        if (optimizer == null) {
            throw new IllegalArgumentException("optimizer settings are required");
        }
    }

    /** Rank r with alpha = r (scale 1), no dropout, attention targets, default optimizer. */
    public static LoraConfig rank(int r) {
        return new LoraConfig(r, r, 0, ATTENTION_TARGETS, OptimizerConfig.defaults(), 0);
    }

    /** A copy with rank {@code r} (alpha unchanged). */
    public LoraConfig withRank(int r) {
        return new LoraConfig(r, alpha, dropout, targets, optimizer, seed);
    }

    /** A copy with scale numerator {@code a}. */
    public LoraConfig withAlpha(double a) {
        return new LoraConfig(rank, a, dropout, targets, optimizer, seed);
    }

    /** A copy with input dropout {@code p}. */
    public LoraConfig withDropout(double p) {
        return new LoraConfig(rank, alpha, p, targets, optimizer, seed);
    }

    /** A copy targeting {@code globs}. */
    public LoraConfig withTargets(List<String> globs) {
        return new LoraConfig(rank, alpha, dropout, globs, optimizer, seed);
    }

    /** A copy with optimizer settings {@code o}. */
    public LoraConfig withOptimizer(OptimizerConfig o) {
        return new LoraConfig(rank, alpha, dropout, targets, o, seed);
    }

    /** A copy with seed {@code s}. */
    public LoraConfig withSeed(long s) {
        return new LoraConfig(rank, alpha, dropout, targets, optimizer, s);
    }

    /** alpha / r. */
    public double scale() {
        return alpha / rank;
    }

    /** The settings as JSON (rank, alpha, dropout, targets, optimizer, seed), for state files. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rank", rank);
        m.put("alpha", alpha);
        m.put("dropout", dropout);
        m.put("targets", targets);
        m.put("optimizer", optimizer.describe());
        m.put("seed", seed);
        try {
            return new ObjectMapper().writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("config is not serializable", e);
        }
    }
}
