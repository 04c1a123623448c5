package io.sara4j.cli.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.core.nn.Autograd;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.HostArrays;
import io.sara4j.core.nn.NativeAllocator;
import io.sara4j.core.nn.ProcessMemory;
import io.sara4j.core.peft.FineTuner;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The child JVM of {@code sara bench}: one method at one batch size, warm-up plus measured steps on
 * seeded random inputs (MSE of the UNet output to a random target at random timesteps), then its
 * {@link BenchResult} written as JSON to {@code --result}. A fresh process per configuration keeps
 * each peak-memory figure the method's own: no allocator state or JIT history carried over.
 *
 * <p>The step mirrors a training step (see {@link #step}). With {@code --profile} one more step runs
 * after all figures were taken, recorded by libtorch's profiler into a Chrome trace.
 */
@Command(name = "bench-worker", hidden = true, description = "One sara bench configuration (run by sara bench).")
public final class BenchWorker implements Callable<Integer> {
    @Option(names = "--method", required = true)
    String method;

    @Option(names = "--batch", required = true)
    int batch;

    @Option(names = "--steps", required = true)
    int steps;

    @Option(names = "--warmup", required = true)
    int warmup;

    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Option(names = "--unet-config")
    Path unetConfig;

    @Option(names = "--model")
    Path model;

    @Option(names = "--latent-size")
    Integer latentSize;

    @Option(names = "--result", required = true)
    Path result;

    @Option(names = "--sara-fraction", defaultValue = "0.1")
    double saraFraction;

    @Option(names = "--gradient-checkpointing")
    boolean gradientCheckpointing;

    @Option(names = "--profile")
    Path profile;

    /** Runs one configuration; the exit code is 0 when the result file was written with a measurement. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchWorker()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        BenchResult r;
        try {
            r = measure(BenchMethod.of(method), BenchModel.choose(unetConfig, model, latentSize));
        } catch (Exception | OutOfMemoryError e) {
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            System.err.println(trace);
            r = BenchResult.failed(method, batch, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        AtomicFiles.writeString(result, new ObjectMapper().writeValueAsString(r));
        return r.ok() ? 0 : 1;
    }

    private BenchResult measure(BenchMethod m, BenchModel bench) throws Exception {
        if (steps < 1 || warmup < 0 || batch < 1) {
            throw new IllegalArgumentException("need steps ≥ 1, warmup ≥ 0, batch ≥ 1; got " + steps + ", " + warmup + ", " + batch);
        }
        Engine engine = Engines.pytorch();
        engine.setRandomSeed((int) seed);
        Random timesteps = new Random(seed);
        int total = warmup + steps;
        double[] stepTimes = new double[steps];
        double[] forwardTimes = new double[steps];
        double[] backwardTimes = new double[steps];
        double firstLoss = 0;
        double lastLoss = 0;
        double rssFirst = 0;
        try (NDManager root = engine.newBaseManager()) {
            UNet2DConditionModel unet = bench.build(root);
            unet.setTraining(true);
            unet.setGradientCheckpointing(gradientCheckpointing);
            try (FineTuner tuner = m.attach(unet, total, seed, saraFraction)) {
                for (int s = 0; s < total; s++) {
                    StepTiming timing = step(engine, root, unet, bench, tuner, timesteps);
                    int k = s - warmup;
                    if (k >= 0) {
                        stepTimes[k] = timing.step();
                        forwardTimes[k] = timing.forward();
                        backwardTimes[k] = timing.backward();
                        if (k == 0) {
                            firstLoss = timing.loss();
                            rssFirst = ProcessMemory.residentMiB();
                        }
                        lastLoss = timing.loss();
                    }
                    System.err.printf(java.util.Locale.ROOT, "%s b%d step %d/%d %.3f s loss %.4f%n", m.id(), batch, s + 1, total,
                            timing.step(), timing.loss());
                }
                long trainable = tuner == null ? 0 : tuner.trainableCount();
                long stateBytes = tuner == null ? 0 : tuner.stateBytes();
                double rssEnd = ProcessMemory.residentMiB();
                double peak = ProcessMemory.peakResidentMiB(); // after rssEnd: the high-water mark then covers it
                if (profile != null) {
                    // one more step, after every figure was taken: the profiler's own records cost time and memory
                    JniUtils.startProfile(false, true, true);
                    step(engine, root, unet, bench, tuner, timesteps);
                    JniUtils.stopProfile(profile.toAbsolutePath().toString());
                }
                return new BenchResult(m.id(), batch, null, unet.parameterCount(), trainable, stateBytes, warmup, peak,
                        rssFirst, rssEnd, Spread.of(stepTimes), Spread.of(forwardTimes),
                        Spread.of(backwardTimes), firstLoss, lastLoss, stepTimes, NativeAllocator.describe());
            }
        }
    }

    /** Seconds of one step and its parts, and its loss. */
    private record StepTiming(double step, double forward, double backward, double loss) {}

    /**
     * One training step: inputs made in the step's manager, the forward recorded under a gradient
     * collector, then {@link FineTuner#step} (for frozen, {@code tuner == null}: backward to the
     * latents only), and everything the step created closed with its scope.
     */
    private StepTiming step(Engine engine, NDManager root, UNet2DConditionModel unet, BenchModel bench, FineTuner tuner,
            Random timesteps) {
        long t0 = System.nanoTime();
        long f0;
        long t1;
        double loss;
        try (NDManager step = root.newSubManager(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            int side = bench.latentSize();
            NDArray x = step.randomNormal(new Shape(batch, bench.config().inChannels(), side, side));
            NDArray text = step.randomNormal(new Shape(batch, BenchModel.TEXT_LENGTH, bench.textWidth()));
            NDArray target = step.randomNormal(new Shape(batch, bench.config().outChannels(), side, side));
            float[] t = new float[batch];
            for (int i = 0; i < batch; i++) {
                t[i] = timesteps.nextInt(1000);
            }
            NDArray time = HostArrays.of(step, t);
            if (tuner == null) {
                x.setRequiresGradient(true); // the frozen floor: autograd still runs through every layer
            }
            try (GradientCollector gc = engine.newGradientCollector()) {
                f0 = System.nanoTime();
                NDArray lossArray = unet.forward(x, time, text).sub(target).square().mean();
                t1 = System.nanoTime();
                if (tuner == null) {
                    loss = lossArray.getFloat();
                    Autograd.backward(lossArray); // through checkpointed blocks too, unlike gc.backward
                } else {
                    loss = tuner.step(lossArray).loss();
                }
            }
        }
        long t2 = System.nanoTime();
        return new StepTiming((t2 - t0) / 1e9, (t1 - f0) / 1e9, (t2 - t1) / 1e9, loss);
    }
}
