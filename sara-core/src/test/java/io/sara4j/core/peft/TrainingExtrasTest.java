package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gradient accumulation ({@link FineTuner#accumulate}) equals one step on the whole batch, and the
 * {@link ExponentialMovingAverage} equals the hand-computed average, swaps in and out exactly, saves
 * an adapter of the averaged model and resumes from its state file. Every method is exercised
 * through its own way of holding trained values (SaRA's sparse vectors and stored tensor, LoRA's
 * factors, full fine-tuning's weights).
 */
class TrainingExtrasTest {
    private static final OptimizerConfig OPTIMIZER = OptimizerConfig.defaults().withLearningRate(1e-2);

    private final Engine engine = Engines.pytorch();
    private NDManager manager;

    @TempDir
    Path dir;

    @BeforeEach
    void setUp() {
        manager = engine.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private static Map<String, Function<TinyModels.Mlp, FineTuner>> methods() {
        Map<String, Function<TinyModels.Mlp, FineTuner>> m = new LinkedHashMap<>();
        m.put("sara", net -> Sara.attach(net, SaraConfig.builder().setSelection(new SelectionRule.Fraction(0.5))
                .optOptimizer(OPTIMIZER).optRankLambda(0).build()));
        m.put("lora", net -> Lora.attach(net, LoraConfig.rank(2).withTargets(List.of("fc1", "fc2")).withOptimizer(OPTIMIZER)));
        m.put("full", net -> FullFineTune.attach(net, NameFilter.all(), OPTIMIZER));
        return m;
    }

    private static NDArray loss(TinyModels.Mlp net, NDArray x) {
        return net.forward(x).sub(1).square().mean();
    }

    @Test
    void accumulatingTwoHalvesEqualsOneStepOnTheWholeBatch() {
        NDArray x = TinyModels.input(manager, 4, 4, 4);
        NDArray first = x.get(new NDIndex("0:2"));
        NDArray second = x.get(new NDIndex("2:4"));
        methods().forEach((name, attach) -> {
            TinyModels.Mlp whole = TinyModels.mlp(manager, 4, 6, 3, 0.3, 3);
            TinyModels.Mlp halves = TinyModels.mlp(manager, 4, 6, 3, 0.3, 3);
            try (FineTuner a = attach.apply(whole); FineTuner b = attach.apply(halves)) {
                for (int step = 0; step < 3; step++) {
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        a.step(loss(whole, x));
                    }
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        b.accumulate(loss(halves, first).div(2));
                    }
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        b.step(loss(halves, second).div(2));
                    }
                }
                assertThat(b.steps()).as(name + ": accumulation does not count as a step").isEqualTo(3);
                whole.namedParameters().forEach((p, param) -> assertThat(Tensors.maxRelativeError(
                        Tensors.toDoubles(halves.namedParameters().get(p).data()), Tensors.toDoubles(param.data())))
                        .as(name + " " + p).isLessThan(1e-5));
                assertThat(Tensors.maxRelativeError(Tensors.toDoubles(halves.forward(x)), Tensors.toDoubles(whole.forward(x))))
                        .as(name + " output").isLessThan(1e-5);
            }
        });
    }

    @Test
    void averageEqualsTheHandComputedOneAndSwapsBackExactly() {
        NDArray x = TinyModels.input(manager, 6, 5, 4);
        double decay = 0.8;
        methods().forEach((name, attach) -> {
            TinyModels.Mlp net = TinyModels.mlp(manager, 4, 6, 3, 0.3, 5);
            try (FineTuner tuner = attach.apply(net);
                    ExponentialMovingAverage ema = ExponentialMovingAverage.start(tuner, decay)) {
                AdamWTuner t = (AdamWTuner) tuner;
                Map<String, double[]> expected = doubles(t.trainedValues());
                for (int step = 1; step <= 4; step++) {
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        tuner.step(loss(net, x));
                    }
                    ema.update();
                    ema.update(); // no new step: no change
                    double d = Math.min(decay, (1.0 + step) / (10.0 + step));
                    Map<String, double[]> now = doubles(t.trainedValues());
                    expected.replaceAll((k, e) -> {
                        double[] v = now.get(k);
                        double[] out = new double[e.length];
                        for (int i = 0; i < e.length; i++) {
                            out[i] = d * e[i] + (1 - d) * v[i];
                        }
                        return out;
                    });
                }
                Map<String, double[]> live = doubles(t.trainedValues());
                float[] liveOutput = net.forward(x).toFloatArray();
                Map<String, double[]> averaged = ema.withAveragedValues(() -> doubles(t.trainedValues()));
                float[] averagedOutput = ema.withAveragedValues(() -> net.forward(x).toFloatArray());
                expected.forEach((k, e) -> assertThat(Tensors.maxRelativeError(averaged.get(k), e)).as(name + " " + k)
                        .isLessThan(1e-5));
                assertThat(averagedOutput).as(name + ": the averaged model differs").isNotEqualTo(liveOutput);
                // swapped back exactly, and training goes on from the live values
                assertThat(doubles(t.trainedValues())).usingRecursiveComparison().isEqualTo(live);
                assertThat(net.forward(x).toFloatArray()).containsExactly(liveOutput);

                // the averaged adapter applied to a fresh base gives the averaged model
                Path adapter = dir.resolve(name + "-ema.safetensors");
                ema.save(adapter);
                assertThat(net.forward(x).toFloatArray()).containsExactly(liveOutput);
                TinyModels.Mlp fresh = TinyModels.mlp(manager, 4, 6, 3, 0.3, 5);
                AdapterFiles.apply(fresh, List.of(adapter), List.of(1.0), manager);
                assertThat(Tensors.maxRelativeError(Tensors.toDoubles(fresh.forward(x)), toDoubles(averagedOutput)))
                        .as(name + " adapter").isLessThan(1e-6);

                // a resumed run continues the average
                Path state = dir.resolve(name + "-ema-state.safetensors");
                ema.saveState(state);
                try (ExponentialMovingAverage resumed = ExponentialMovingAverage.start(tuner, decay)) {
                    resumed.loadState(state);
                    assertThat(resumed.updatedAtStep()).isEqualTo(4);
                    assertThat(resumed.withAveragedValues(() -> doubles(t.trainedValues())))
                            .usingRecursiveComparison().isEqualTo(averaged);
                }
                try (ExponentialMovingAverage other = ExponentialMovingAverage.start(tuner, 0.5)) {
                    assertThatThrownBy(() -> other.loadState(state)).hasMessageContaining("--ema-decay");
                }
            }
        });
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static Map<String, double[]> doubles(Map<String, NDArray> arrays) {
        Map<String, double[]> out = new LinkedHashMap<>();
        arrays.forEach((k, v) -> {
            out.put(k, Tensors.toDoubles(v));
            v.close();
        });
        return out;
    }
}
