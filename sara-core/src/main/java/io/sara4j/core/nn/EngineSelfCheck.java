package io.sara4j.core.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The start-up check that the engine computes what it should: a few milliseconds of float32
 * forward and backward passes compared with the same passes in float64, at the geometries where
 * libtorch 2.7.1's oneDNN kernels are known to go wrong on some CPUs (docs/engine.md).
 *
 * <p>Each case runs one of the project's functional layers ({@link Conv2d#conv2d} and friends, so
 * the guards in them are part of what is checked) on seeded inputs in float32 and in float64,
 * back-propagates {@code sum(y · c)} for a fixed random {@code c}, and records the largest error
 * of the output and of every input gradient relative to the float64 value's largest magnitude.
 * Float64 runs on libtorch's reference kernels, which oneDNN does not implement, so the two are
 * independent computations. A case passes at a relative error of at most {@link #TOLERANCE}.
 *
 * <p>{@link #rawConvolutionDefects} runs the same comparison on the engine's convolution without
 * the guard, to report whether this CPU has the defect that the guard works around.
 */
public final class EngineSelfCheck {
    /** Largest relative error a float32 pass may show against float64 (float32 gives ~1e-6 here). */
    public static final double TOLERANCE = 1e-4;

    /** One checked computation and its largest relative error over the output and all gradients. */
    public record Case(String name, double error) {
        /** Whether the error is within {@link #TOLERANCE} (NaN fails). */
        public boolean passed() {
            return error <= TOLERANCE;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s %.1e", name, error);
        }
    }

    /** The outcome of one run of the check. */
    public record Result(List<Case> cases, double milliseconds) {
        /** Whether every case passed. */
        public boolean passed() {
            return cases.stream().allMatch(Case::passed);
        }

        /** The cases that failed. */
        public List<Case> failures() {
            return cases.stream().filter(c -> !c.passed()).toList();
        }

        /** The largest error of any case. */
        public double worstError() {
            return cases.stream().mapToDouble(c -> Double.isNaN(c.error()) ? Double.POSITIVE_INFINITY : c.error())
                    .max().orElse(0);
        }
    }

    private EngineSelfCheck() {}

    /** Runs every case through the project's layers (guards included). */
    public static Result run(Engine engine) {
        long start = System.nanoTime();
        List<Case> cases = new ArrayList<>();
        try (NDManager manager = engine.newBaseManager()) {
            // conv_out of an SD UNet: 4 output channels; oneDNN's input gradient is wrong there
            cases.add(check(engine, manager, "conv 64→4 3×3", conv(), shape(2, 64, 8, 8), shape(4, 64, 3, 3), shape(4)));
            // an input channel count with a partial block of 16 (the forward) and 8 outputs (the backward)
            cases.add(check(engine, manager, "conv 40→8 3×3", conv(), shape(2, 40, 8, 8), shape(8, 40, 3, 3), shape(8)));
            cases.add(check(engine, manager, "linear 96→40", in -> Linear.linear(in[0], in[1], in[2]),
                    shape(2, 77, 96), shape(40, 96), shape(40)));
            cases.add(check(engine, manager, "group norm 48/8", in -> GroupNorm.groupNorm(in[0], 8, in[1], in[2], 1e-5f),
                    shape(2, 48, 8, 8), shape(48), shape(48)));
            cases.add(check(engine, manager, "attention 64×77",
                    in -> ScaledDotProductAttention.attention(in[0], in[1], in[2], null, 0.35f, false),
                    shape(2, 4, 64, 8), shape(2, 4, 77, 8), shape(2, 4, 77, 8)));
        }
        return new Result(cases, (System.nanoTime() - start) / 1e6);
    }

    /**
     * The engine's own convolution, without the channel-block guard of {@link Conv2d#conv2d}, at
     * the geometries where oneDNN has been seen to fail: the failing cases (none on an unaffected CPU).
     */
    public static List<Case> rawConvolutionDefects(Engine engine) {
        Function<NDArray[], NDArray> raw = in -> Conv2d.rawConv2d(in[0], in[1], in[2], 1, 1, 1, 1);
        List<Case> failures = new ArrayList<>();
        try (NDManager manager = engine.newBaseManager()) {
            Case backward = check(engine, manager, "input gradient at 64→4", raw, shape(2, 64, 8, 8), shape(4, 64, 3, 3),
                    shape(4));
            Case forward = check(engine, manager, "forward at 24→16", raw, shape(2, 24, 8, 8), shape(16, 24, 3, 3), shape(16));
            for (Case c : List.of(backward, forward)) {
                if (!c.passed()) {
                    failures.add(c);
                }
            }
        }
        return failures;
    }

    private static Function<NDArray[], NDArray> conv() {
        return in -> Conv2d.conv2d(in[0], in[1], in[2], 1, 1, 1, 1);
    }

    private static Shape shape(long... dims) {
        return new Shape(dims);
    }

    /** Runs {@code op} on seeded inputs of the given shapes in float32 and float64 and compares. */
    static Case check(Engine engine, NDManager parent, String name, Function<NDArray[], NDArray> op,
            Shape... shapes) {
        try (NDManager manager = parent.newSubManager()) {
            SplittableRandom random = new SplittableRandom(name.hashCode());
            NDArray[] in32 = new NDArray[shapes.length];
            NDArray[] in64 = new NDArray[shapes.length];
            for (int i = 0; i < shapes.length; i++) {
                double[] values = random.doubles(shapes[i].size(), -1, 1).toArray();
                in64[i] = HostArrays.of(manager, values, shapes[i]);
                in32[i] = in64[i].toType(DataType.FLOAT32, true);
            }
            long weightsSeed = random.nextLong(); // the same output weights c for both precisions
            double[][] results32 = run(engine, op, in32, weightsSeed);
            double[][] results64 = run(engine, op, in64, weightsSeed);
            double worst = 0;
            for (int i = 0; i < results64.length; i++) {
                worst = Math.max(worst, relativeError(results32[i], results64[i]));
            }
            return new Case(name, worst);
        }
    }

    /** The output, then the gradient of {@code sum(y · c)} for every input, c uniform in [-1, 1] drawn from {@code seed}. */
    private static double[][] run(Engine engine, Function<NDArray[], NDArray> op, NDArray[] inputs, long seed) {
        NDManager manager = inputs[0].getManager();
        for (NDArray input : inputs) {
            input.setRequiresGradient(true);
        }
        double[][] results = new double[inputs.length + 1][];
        try (GradientCollector collector = engine.newGradientCollector()) {
            NDArray y = op.apply(inputs);
            results[0] = y.toType(DataType.FLOAT64, false).toDoubleArray();
            double[] c = new SplittableRandom(seed).doubles(results[0].length, -1, 1).toArray();
            NDArray weights = HostArrays.of(manager, c, y.getShape()).toType(y.getDataType(), false);
            collector.backward(y.mul(weights).sum());
        }
        for (int i = 0; i < inputs.length; i++) {
            results[i + 1] = inputs[i].getGradient().toType(DataType.FLOAT64, false).toDoubleArray();
        }
        return results;
    }

    /** max|a − e| / max|e|; NaN if {@code a} holds a NaN or an infinity. */
    private static double relativeError(double[] actual, double[] expected) {
        double error = 0;
        double scale = 1e-30;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            if (!Double.isFinite(actual[i])) {
                return Double.NaN;
            }
            error = Math.max(error, d);
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        return error / scale;
    }
}
