package io.sara4j.diffusion.pipeline;

import io.sara4j.diffusion.scheduler.DdimScheduler;
import io.sara4j.diffusion.scheduler.DdpmScheduler;
import io.sara4j.diffusion.scheduler.EulerDiscreteScheduler;
import io.sara4j.diffusion.scheduler.Scheduler;
import io.sara4j.diffusion.scheduler.SchedulerConfig;
import java.util.Locale;

/** The sampling schedulers a text-to-image run can use, all built from the model's scheduler config. */
public enum Sampler {
    /** DDIM with η = 0 (deterministic given the initial noise). */
    DDIM,
    /** Euler discrete (σ-parameterised). */
    EULER,
    /** Ancestral DDPM (stochastic at every step but the last). */
    DDPM;

    /** A fresh scheduler of this kind configured by {@code config}. */
    public Scheduler create(SchedulerConfig config) {
        return switch (this) {
            case DDIM -> new DdimScheduler(config);
            case EULER -> new EulerDiscreteScheduler(config);
            case DDPM -> new DdpmScheduler(config);
        };
    }

    /** Parses a name such as {@code ddim}; the error lists the supported names. */
    public static Sampler parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unsupported sampler '" + name + "' (supported: ddim, euler, ddpm)", e);
        }
    }
}
