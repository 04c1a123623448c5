package io.sara4j.diffusion.unet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Autograd;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.HostArrays;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.peft.FineTuner;
import io.sara4j.core.peft.LearningRateSchedule;
import io.sara4j.core.peft.Lora;
import io.sara4j.core.peft.LoraConfig;
import io.sara4j.core.peft.OptimizerConfig;
import io.sara4j.core.peft.Sara;
import io.sara4j.core.peft.SaraConfig;
import io.sara4j.core.peft.SelectionRule;
import io.sara4j.core.peft.StepReport;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.RandomWeights;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Gradient checkpointing changes memory, never gradients: every parameter's gradient (and the
 * input's) with checkpointing on equals the plain pass's, for full fine-tuning in float64 and for
 * SaRA and LoRA through their tuners.
 *
 * <p>The UNet has every structure the recomputation has to get right: resnet → transformer chains
 * whose blocks feed each other directly (leaf to leaf), skip concatenations and up/down-samplers
 * recorded between blocks, the time embedding shared by every resnet, and the input latents'
 * gradient, which arrives only through the first block's recomputation.
 */
class GradientCheckpointingTest extends EngineTestBase {
    private static final String CONFIG = """
            {"block_out_channels": [16, 32], "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
             "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "cross_attention_dim": 24,
             "attention_head_dim": 4, "norm_num_groups": 8, "layers_per_block": 2,
             "in_channels": 4, "out_channels": 4, "sample_size": 8}
            """;
    private static final Shape SAMPLE = new Shape(2, 4, 8, 8);
    private static final Shape CONTEXT = new Shape(2, 5, 24);

    @Test
    void everyParameterAndInputGradientIsUnchangedInFloat64() {
        UNet2DConditionConfig config = UNet2DConditionConfig.parse(CONFIG);
        Map<String, double[]> plain = gradients(config, false);
        Map<String, double[]> checkpointed = gradients(config, true);

        assertThat(checkpointed.keySet()).isEqualTo(plain.keySet());
        assertThat(plain).hasSize(new UNet2DConditionModel(manager, config).namedParameters().size() + 1);
        plain.forEach((name, expected) -> {
            assertThat(Tensors.maxRelativeError(checkpointed.get(name), expected)).as(name).isLessThan(1e-10);
            assertThat(Tensors.maxRelativeError(expected, new double[expected.length])).as(name + " is nonzero")
                    .isGreaterThan(0);
        });
    }

    @Test
    void saraAndLoraStepsAreUnchanged() {
        UNet2DConditionConfig config = UNet2DConditionConfig.parse(CONFIG);
        OptimizerConfig optimizer = OptimizerConfig.defaults().withLearningRate(1e-3)
                .withSchedule(LearningRateSchedule.Kind.CONSTANT).withTotalSteps(3);
        Function<UNet2DConditionModel, FineTuner> sara = unet -> Sara.attach(unet, SaraConfig.builder()
                .setSelection(new SelectionRule.Fraction(0.2)).optOptimizer(optimizer).optProgressiveIter(0).build());
        Function<UNet2DConditionModel, FineTuner> lora = unet -> Lora.attach(unet,
                LoraConfig.rank(4).withAlpha(4).withOptimizer(optimizer).withSeed(3));
        for (Function<UNet2DConditionModel, FineTuner> method : java.util.List.of(lora, sara)) {
            TunedRun plain = tune(config, method, false);
            TunedRun checkpointed = tune(config, method, true);
            for (int k = 0; k < plain.gradNorms.length; k++) {
                assertThat(checkpointed.gradNorms[k]).as("gradient norm, step " + k)
                        .isCloseTo(plain.gradNorms[k], org.assertj.core.data.Percentage.withPercentage(1e-3));
            }
            plain.weights.forEach((name, expected) -> assertThat(
                    Tensors.maxRelativeError(checkpointed.weights.get(name), expected)).as(name).isLessThan(1e-5));
        }
    }

    @Test
    void dropoutInsideACheckpointedBlockIsRefused() {
        UNet2DConditionConfig config = UNet2DConditionConfig.parse(CONFIG.replace("\"sample_size\": 8",
                "\"sample_size\": 8, \"dropout\": 0.1"));
        UNet2DConditionModel unet = RandomWeights.fill(new UNet2DConditionModel(manager, config), 4);
        unet.setTraining(true);
        unet.setGradientCheckpointing(true);
        unet.namedParameters().values().forEach(p -> p.data().setRequiresGradient(true));
        try (NDManager step = manager.newSubManager();
                GradientCollector collector = Engines.pytorch().newGradientCollector()) {
            NDArray x = step.randomNormal(SAMPLE);
            NDArray ctx = step.randomNormal(CONTEXT);
            assertThatThrownBy(() -> unet.forward(x, HostArrays.of(step, new float[] {3, 500}), ctx))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("dropout")
                    .hasMessageContaining("gradient checkpointing");
        }
    }

    /** Gradients of sum(unet(x) · c) for every parameter and for x ("input"), by name, in float64. */
    private Map<String, double[]> gradients(UNet2DConditionConfig config, boolean checkpointing) {
        UNet2DConditionModel unet = RandomWeights.fill(new UNet2DConditionModel(manager, config), 21);
        unet.convertTo(DataType.FLOAT64);
        unet.setGradientCheckpointing(checkpointing);
        Map<String, Parameter> parameters = unet.namedParameters();
        parameters.values().forEach(p -> p.data().setRequiresGradient(true));
        Random random = new Random(8);
        Map<String, double[]> result = new TreeMap<>();
        try (NDManager step = manager.newSubManager()) {
            NDArray x = HostArrays.of(step, Tensors.normal(random, (int) SAMPLE.size()), SAMPLE);
            NDArray ctx = HostArrays.of(step, Tensors.normal(random, (int) CONTEXT.size()), CONTEXT);
            NDArray c = HostArrays.of(step, Tensors.normal(random, (int) SAMPLE.size()), SAMPLE);
            NDArray t = HostArrays.of(step, new double[] {999, 17}, new Shape(2));
            x.setRequiresGradient(true);
            try (GradientCollector collector = Engines.pytorch().newGradientCollector()) {
                Autograd.backward(unet.forward(x, t, ctx).mul(c).sum());
            }
            parameters.forEach((name, p) -> result.put(name, Tensors.toDoubles(p.data().getGradient())));
            result.put("input", Tensors.toDoubles(x.getGradient()));
        }
        return result;
    }

    private record TunedRun(double[] gradNorms, Map<String, double[]> weights) {}

    /** Three steps of a tuner on MSE against a random target; the gradient norms and the tuned weights. */
    private TunedRun tune(UNet2DConditionConfig config, Function<UNet2DConditionModel, FineTuner> method,
            boolean checkpointing) {
        Engine engine = Engines.pytorch();
        UNet2DConditionModel unet = RandomWeights.fill(new UNet2DConditionModel(manager, config), 21);
        unet.setGradientCheckpointing(checkpointing);
        Random random = new Random(8);
        double[] norms = new double[3];
        try (FineTuner tuner = method.apply(unet)) {
            for (int k = 0; k < norms.length; k++) {
                try (NDManager step = manager.newSubManager()) {
                    NDArray x = Tensors.float32(step, Tensors.normal(random, (int) SAMPLE.size()), SAMPLE);
                    NDArray ctx = Tensors.float32(step, Tensors.normal(random, (int) CONTEXT.size()), CONTEXT);
                    NDArray target = Tensors.float32(step, Tensors.normal(random, (int) SAMPLE.size()), SAMPLE);
                    NDArray t = HostArrays.of(step, new float[] {100 + 300 * k, 900 - 200 * k});
                    try (GradientCollector collector = engine.newGradientCollector()) {
                        StepReport report = tuner.step(unet.forward(x, t, ctx).sub(target).square().mean());
                        norms[k] = report.gradNorm();
                    }
                }
            }
            Map<String, double[]> weights = new TreeMap<>();
            tuner.merge();
            unet.namedParameters().forEach((name, p) -> weights.put(name, Tensors.toDoubles(p.data())));
            return new TunedRun(norms, weights);
        }
    }
}
