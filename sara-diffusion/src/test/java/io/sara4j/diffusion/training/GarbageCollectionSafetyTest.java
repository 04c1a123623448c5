package io.sara4j.diffusion.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.peft.FineTuner;
import io.sara4j.core.peft.Lora;
import io.sara4j.core.peft.LoraConfig;
import io.sara4j.core.peft.OptimizerConfig;
import io.sara4j.core.peft.Sara;
import io.sara4j.core.peft.SaraConfig;
import io.sara4j.diffusion.pipeline.DiffusionObjective;
import io.sara4j.diffusion.pipeline.SeededNoise;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.scheduler.DdpmScheduler;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.TinyPipelines;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A training step must not depend on when the garbage collector runs. DJL lets tensors alias Java
 * buffers (arrays made from Java data, numbers in {@code mul(Number)}); anything autograd keeps from
 * such a buffer reads freed memory once a collection frees it. These runs force a collection and
 * fresh direct buffers between every forward and backward pass and must match undisturbed runs.
 */
class GarbageCollectionSafetyTest extends EngineTestBase {
    private List<Double> run(Function<StableDiffusionPipeline, FineTuner> method, boolean disturb) throws Exception {
        Engine engine = Engines.pytorch();
        List<Double> norms = new ArrayList<>();
        try (NDManager scope = manager.newSubManager()) {
            StableDiffusionPipeline p = TinyPipelines.build(scope, true);
            p.unet().setTraining(true);
            DiffusionObjective objective = new DiffusionObjective(new DdpmScheduler(p.schedulerConfig()));
            try (FineTuner tuner = method.apply(p)) {
                for (int step = 0; step < 4; step++) {
                    try (NDManager s = scope.newSubManager(); NDScope arrays = new NDScope()) {
                        arrays.suppressNotUsedWarning();
                        SeededNoise noise = new SeededNoise(step);
                        NDArray images = noise.normal(s, new Shape(2, 3, 8, 8));
                        NDArray context = p.encodePrompts(s, List.of("a red circle", "a blue square"));
                        NDArray x0 = p.encodeImages(images, noise);
                        try (GradientCollector gc = engine.newGradientCollector()) {
                            NDArray loss = objective.loss(p.denoiser(), x0, context, noise);
                            if (disturb) {
                                System.gc();
                                for (int j = 0; j < 256; j++) {
                                    java.nio.ByteBuffer.allocateDirect(256).putFloat(0, 1e30f);
                                }
                            }
                            norms.add(tuner.step(loss).gradNorm());
                        }
                    }
                }
            }
        }
        return norms;
    }

    @Test
    void saraStepsDoNotDependOnGarbageCollection() throws Exception {
        Function<StableDiffusionPipeline, FineTuner> sara = p -> Sara.attach(p.unet(),
                SaraConfig.builder().setThreshold(0.05).optLearningRate(1e-3).optRankMinDim(4).build());
        assertThat(run(sara, true)).containsExactlyElementsOf(run(sara, false));
    }

    @Test
    void loraStepsDoNotDependOnGarbageCollection() throws Exception {
        Function<StableDiffusionPipeline, FineTuner> lora = p -> Lora.attach(p.unet(), LoraConfig.rank(2).withAlpha(4)
                .withDropout(0.1).withOptimizer(OptimizerConfig.defaults().withLearningRate(1e-3)));
        assertThat(run(lora, true)).containsExactlyElementsOf(run(lora, false));
    }
}
