package io.sara4j.diffusion.unet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.HostArrays;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.RandomWeights;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The whole-model guard: the gradient of every parameter of a small SD-shaped UNet, float32 against
 * the same model in float64. Its widths (24, 36) make every kind of channel count that breaks
 * libtorch's oneDNN convolutions on some CPUs: input channels above 16 that are not a multiple of
 * 16 (24, 36, and the skip concatenations 72, 60, 48) and {@code conv_out} to 4 channels. On AMD
 * Zen 5 without the guards in {@code Conv2d} this fails with relative errors of 0.2 to NaN.
 */
class UNetGradientGuardTest extends EngineTestBase {
    /** Largest gradient error allowed relative to each parameter's largest float64 gradient. */
    private static final double TOLERANCE = 1e-4;

    private static final String CONFIG = """
            {"block_out_channels": [24, 36], "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
             "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "cross_attention_dim": 32,
             "attention_head_dim": 2, "norm_num_groups": 4, "layers_per_block": 1,
             "in_channels": 4, "out_channels": 4, "sample_size": 16}
            """;

    @Test
    void everyParameterGradientMatchesFloat64() throws Exception {
        Engine engine = Engines.pytorch();
        UNet2DConditionConfig config = UNet2DConditionConfig.parse(CONFIG);
        UNet2DConditionModel unet32 = RandomWeights.fill(new UNet2DConditionModel(manager, config), 11);
        UNet2DConditionModel unet64 = RandomWeights.fill(new UNet2DConditionModel(manager, config), 11);
        unet64.convertTo(DataType.FLOAT64);

        Random random = new Random(5);
        Shape sampleShape = new Shape(2, 4, 16, 16);
        Shape contextShape = new Shape(2, 7, 32);
        double[] sample = Tensors.normal(random, (int) sampleShape.size());
        double[] context = Tensors.normal(random, (int) contextShape.size());
        double[] c = Tensors.normal(random, (int) sampleShape.size());
        Map<String, double[]> g32 = gradients(engine, unet32, DataType.FLOAT32, sample, sampleShape, context, contextShape, c);
        Map<String, double[]> g64 = gradients(engine, unet64, DataType.FLOAT64, sample, sampleShape, context, contextShape, c);

        assertThat(g32.keySet()).isEqualTo(g64.keySet()).hasSize(unet32.namedParameters().size());
        Map<String, Double> errors = new TreeMap<>();
        g64.forEach((name, expected) -> errors.put(name, Tensors.maxRelativeError(g32.get(name), expected)));
        assertThat(errors).allSatisfy((name, error) -> assertThat(error).as(name).isLessThanOrEqualTo(TOLERANCE));
    }

    /** Gradients of sum(unet(sample, t, context) · c) for every parameter, by name. */
    private Map<String, double[]> gradients(Engine engine, UNet2DConditionModel unet, DataType type, double[] sample,
            Shape sampleShape, double[] context, Shape contextShape, double[] c) {
        Map<String, Parameter> parameters = unet.namedParameters();
        parameters.values().forEach(p -> p.data().setRequiresGradient(true));
        Map<String, double[]> result = new TreeMap<>();
        try (NDManager step = manager.newSubManager()) {
            NDArray x = HostArrays.of(step, sample, sampleShape).toType(type, false);
            NDArray ctx = HostArrays.of(step, context, contextShape).toType(type, false);
            NDArray t = HostArrays.of(step, new double[] {999, 17}, new Shape(2)).toType(type, false);
            NDArray weights = HostArrays.of(step, c, sampleShape).toType(type, false);
            try (GradientCollector collector = engine.newGradientCollector()) {
                collector.backward(unet.forward(x, t, ctx).mul(weights).sum());
            }
            parameters.forEach((name, p) -> result.put(name, Tensors.toDoubles(p.data().getGradient())));
        }
        return result;
    }
}
