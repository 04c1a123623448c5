/**
 * Noise schedules and samplers, mirroring diffusers 0.27 {@code schedulers/}:
 * {@code scheduling_ddpm.py} ({@link io.sara4j.diffusion.scheduler.DdpmScheduler}, training noise
 * and ancestral sampling), {@code scheduling_ddim.py}
 * ({@link io.sara4j.diffusion.scheduler.DdimScheduler}) and {@code scheduling_euler_discrete.py}
 * ({@link io.sara4j.diffusion.scheduler.EulerDiscreteScheduler}), all configured by a
 * {@code scheduler_config.json} ({@link io.sara4j.diffusion.scheduler.SchedulerConfig}).
 *
 * <p>Schedules (β, ᾱ, σ) are computed on the Java side in float64 and rounded to float32 where
 * the reference holds float32 tensors; only the per-element updates run as tensor operations.
 */
package io.sara4j.diffusion.scheduler;
