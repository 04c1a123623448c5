/**
 * {@code sara bench}: step time and peak memory per fine-tuning method, one child JVM per
 * configuration. The parent ({@link io.sara4j.cli.bench.BenchCommand}) starts
 * {@link io.sara4j.cli.bench.BenchWorker} in a fresh JVM for each (method, batch size), reads back
 * its {@link io.sara4j.cli.bench.BenchResult}, forms the ratios of one run
 * ({@link io.sara4j.cli.bench.BenchComparison}) and writes {@code bench.md}
 * ({@link io.sara4j.cli.bench.BenchTable}) and {@code bench.json}
 * ({@link io.sara4j.cli.bench.BenchReport}).
 *
 * <p>{@code sara bench-rank} ({@link io.sara4j.cli.bench.RankPenaltyBench}) is the rank penalty's
 * micro-benchmark: Newton–Schulz against an exact SVD ({@link io.sara4j.cli.bench.ExactPolar}) on
 * SaRA-like matrices ({@link io.sara4j.cli.bench.PenalizedMatrix}), in one JVM, written to
 * {@code rank.md} ({@link io.sara4j.cli.bench.RankBenchTable}) and {@code rank.json}
 * ({@link io.sara4j.cli.bench.RankBenchReport}). See docs/benchmarks.md.
 */
package io.sara4j.cli.bench;
