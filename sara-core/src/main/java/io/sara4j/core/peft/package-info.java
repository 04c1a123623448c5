/**
 * Fine-tuning methods behind one interface, {@link io.sara4j.core.peft.FineTuner}: SaRA (Hu et
 * al., ICLR 2025) and the baselines it is compared with. Model-agnostic: every method plugs in
 * through {@link io.sara4j.core.nn.Adaptation} or the parameters' own tensors.
 *
 * <p>Reading order: {@link io.sara4j.core.peft.Sara} (the tuner) and
 * {@link io.sara4j.core.peft.SaraConfig}; then its parts — {@link io.sara4j.core.peft.SelectionRule}
 * (§3.1), {@code SparseAdaptation} (§3.2 unstructured backprop), {@code AdamW} with
 * {@link io.sara4j.core.peft.LearningRateSchedule}, {@link io.sara4j.core.peft.NuclearNormPenalty}
 * with {@link io.sara4j.core.peft.NewtonSchulz} (the low-rank constraint),
 * {@code ProgressiveReselection} (§3.3), {@link io.sara4j.core.peft.SparseAdapter} (adapter files);
 * then the baselines {@link io.sara4j.core.peft.FullFineTune},
 * {@link io.sara4j.core.peft.MaskedDenseFineTune} and {@link io.sara4j.core.peft.Lora}.
 * Design notes: {@code docs/sara.md}; file layout: {@code docs/adapter-format.md}.
 */
package io.sara4j.core.peft;
