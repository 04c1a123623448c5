package io.sara4j.diffusion.unet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class UNet2DConditionModelTest extends EngineTestBase {

    private static Map<String, long[]> actualShapes(UNet2DConditionModel model) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            out.put(e.getKey(), e.getValue().shape().getShape());
        }
        return out;
    }

    private static void assertSameKeysAndShapes(Map<String, long[]> actual, Map<String, long[]> expected) {
        assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
        expected.forEach((key, shape) -> assertThat(actual.get(key)).as(key).containsExactly(shape));
    }

    @Test
    void derivedKeysMatchPublishedFactsOfRealSd15AndSd21Checkpoints() {
        Map<String, long[]> sd15 = ExpectedUNetKeys.derive(UNet2DConditionConfig.parse(UNetConfigs.SD15));
        assertThat(sd15).hasSize(686);
        assertThat(ExpectedUNetKeys.parameterCount(sd15)).isEqualTo(859_520_964L);
        assertThat(sd15.get("conv_in.weight")).containsExactly(320, 4, 3, 3);
        assertThat(sd15.get("time_embedding.linear_1.weight")).containsExactly(1280, 320);
        assertThat(sd15.get("down_blocks.0.attentions.0.proj_in.weight")).containsExactly(320, 320, 1, 1);
        assertThat(sd15.get("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight")).containsExactly(320, 768);
        assertThat(sd15.get("down_blocks.0.attentions.0.transformer_blocks.0.ff.net.0.proj.weight")).containsExactly(2560, 320);
        assertThat(sd15.get("down_blocks.1.resnets.0.conv_shortcut.weight")).containsExactly(640, 320, 1, 1);
        assertThat(sd15.get("down_blocks.2.downsamplers.0.conv.weight")).containsExactly(1280, 1280, 3, 3);
        assertThat(sd15.get("mid_block.attentions.0.transformer_blocks.0.attn1.to_q.weight")).containsExactly(1280, 1280);
        assertThat(sd15.get("up_blocks.0.resnets.0.conv1.weight")).containsExactly(1280, 2560, 3, 3);
        assertThat(sd15.get("up_blocks.1.resnets.2.conv1.weight")).containsExactly(1280, 1920, 3, 3);
        assertThat(sd15.get("up_blocks.2.resnets.2.conv1.weight")).containsExactly(640, 960, 3, 3);
        assertThat(sd15.get("up_blocks.3.resnets.2.conv_shortcut.weight")).containsExactly(320, 640, 1, 1);
        assertThat(sd15.get("up_blocks.2.upsamplers.0.conv.weight")).containsExactly(640, 640, 3, 3);
        assertThat(sd15).doesNotContainKey("up_blocks.3.upsamplers.0.conv.weight")
                .doesNotContainKey("down_blocks.3.downsamplers.0.conv.weight")
                .doesNotContainKey("up_blocks.0.attentions.0.norm.weight");

        Map<String, long[]> sd21 = ExpectedUNetKeys.derive(UNet2DConditionConfig.parse(UNetConfigs.SD21));
        assertThat(sd21).hasSize(686);
        assertThat(ExpectedUNetKeys.parameterCount(sd21)).isEqualTo(865_910_724L);
        assertThat(sd21.get("down_blocks.0.attentions.0.proj_in.weight")).containsExactly(320, 320);
        assertThat(sd21.get("up_blocks.3.attentions.2.proj_out.weight")).containsExactly(320, 320);
        assertThat(sd21.get("mid_block.attentions.0.transformer_blocks.0.attn2.to_v.weight")).containsExactly(1280, 1024);
    }

    @Test
    void tinySd1ModelHasExactlyTheDerivedKeysAndShapes() {
        UNet2DConditionConfig config = UNet2DConditionConfig.parse(UNetConfigs.TINY_SD1);
        UNet2DConditionModel model = new UNet2DConditionModel(manager, config);
        assertSameKeysAndShapes(actualShapes(model), ExpectedUNetKeys.derive(config));
        assertThat(model.namedParameters().get("down_blocks.0.attentions.1.proj_in.weight").shape())
                .isEqualTo(new Shape(32, 32, 1, 1));
        assertThat(model.namedParameters()).containsKey("up_blocks.0.upsamplers.0.conv.weight")
                .containsKey("down_blocks.0.downsamplers.0.conv.weight")
                .containsKey("up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_k.weight");
    }

    @Test
    void tinySd2ModelHasExactlyTheDerivedKeysAndShapes() {
        UNet2DConditionConfig config = UNet2DConditionConfig.parse(UNetConfigs.TINY_SD2);
        UNet2DConditionModel model = new UNet2DConditionModel(manager, config);
        assertSameKeysAndShapes(actualShapes(model), ExpectedUNetKeys.derive(config));
        assertThat(model.namedParameters().get("up_blocks.0.attentions.1.proj_out.weight").shape())
                .isEqualTo(new Shape(64, 64));
    }

    @Test
    void sd15ShapedModelAtOneFortiethWidthHasTheRealKeyList() {
        // The real SD1.5 key names with every channel count divided by 40 (and 4 groups): the same
        // block structure as the 3.4 GB model, built in a few MB.
        String narrow = UNetConfigs.SD15
                .replace("[320, 640, 1280, 1280]", "[8, 16, 32, 32]")
                .replace("\"norm_num_groups\": 32", "\"norm_num_groups\": 4")
                .replace("\"cross_attention_dim\": 768", "\"cross_attention_dim\": 12");
        UNet2DConditionConfig config = UNet2DConditionConfig.parse(narrow);
        UNet2DConditionModel model = new UNet2DConditionModel(manager, config);
        Map<String, long[]> expected = ExpectedUNetKeys.derive(config);
        assertThat(expected.keySet()).containsExactlyElementsOf(
                ExpectedUNetKeys.derive(UNet2DConditionConfig.parse(UNetConfigs.SD15)).keySet());
        assertSameKeysAndShapes(actualShapes(model), expected);
    }

    @Test
    void forwardShapesForSd1AndSd2StyleModels() {
        Engine.getEngine("PyTorch").setRandomSeed(5);
        for (String json : new String[] {UNetConfigs.TINY_SD1, UNetConfigs.TINY_SD2}) {
            UNet2DConditionModel model = new UNet2DConditionModel(manager, UNet2DConditionConfig.parse(json));
            try (NDManager step = manager.newSubManager()) {
                NDArray sample = step.randomNormal(new Shape(2, 4, 8, 8));
                NDArray context = step.randomNormal(new Shape(2, 5, 32));
                NDArray out = model.forward(sample, step.create(new long[] {3, 700}), context);
                assertThat(out.getShape()).isEqualTo(new Shape(2, 4, 8, 8));
                assertThat(out.getManager()).isSameAs(step);
                assertThat(java.util.Arrays.stream(Tensors.toDoubles(out)).allMatch(Double::isFinite)).isTrue();
            }
        }
    }

    @Test
    void intermediatesStayInTheSamplesManagerEvenWhenContextAndTimestepsLiveElsewhere() {
        UNet2DConditionModel model = new UNet2DConditionModel(manager, UNet2DConditionConfig.parse(UNetConfigs.TINY_SD2));
        try (NDManager shared = manager.newSubManager()) {
            NDArray context = shared.randomNormal(new Shape(1, 3, 32));
            NDArray timesteps = shared.create(new long[] {10});
            int sharedBefore = shared.getManagedArrays().size();
            int rootBefore = manager.getManagedArrays().size();
            try (NDManager step = manager.newSubManager()) {
                NDArray out = model.forward(step.randomNormal(new Shape(1, 4, 8, 8)), timesteps, context);
                assertThat(out.getManager()).isSameAs(step);
            }
            assertThat(shared.getManagedArrays()).hasSize(sharedBefore);
            assertThat(manager.getManagedArrays()).hasSize(rootBefore);
            assertThat(context.getShape()).isEqualTo(new Shape(1, 3, 32)); // still usable
            assertThat(timesteps.toLongArray()).containsExactly(10);
        }
    }

    @Test
    void gradientsReachParametersThroughTheWholeNetwork() {
        UNet2DConditionModel model = new UNet2DConditionModel(manager, UNet2DConditionConfig.parse(UNetConfigs.TINY_SD2));
        model.setTraining(true);
        String[] keys = {"conv_in.weight", "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight",
            "mid_block.resnets.1.time_emb_proj.bias", "up_blocks.1.resnets.1.conv_shortcut.weight"};
        for (String key : keys) {
            model.namedParameters().get(key).data().setRequiresGradient(true);
        }
        try (NDManager step = manager.newSubManager();
                GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray out = model.forward(step.randomNormal(new Shape(1, 4, 8, 8)), step.create(new long[] {42}),
                    step.randomNormal(new Shape(1, 3, 32)));
            collector.backward(out.square().mean());
            for (String key : keys) {
                double[] grad = Tensors.toDoubles(model.namedParameters().get(key).data().getGradient());
                assertThat(java.util.Arrays.stream(grad).allMatch(Double::isFinite)).as(key).isTrue();
                assertThat(java.util.Arrays.stream(grad).map(Math::abs).max().orElse(0)).as(key).isPositive();
            }
        }
    }

    @Test
    void scalarTimestepIsBroadcastToTheBatch() {
        UNet2DConditionModel model = new UNet2DConditionModel(manager, UNet2DConditionConfig.parse(UNetConfigs.TINY_SD2));
        Random random = new Random(3);
        NDArray sample = Tensors.float32(manager, Tensors.normal(random, 2 * 4 * 64), new Shape(2, 4, 8, 8));
        NDArray context = Tensors.float32(manager, Tensors.normal(random, 2 * 3 * 32), new Shape(2, 3, 32));
        NDArray scalar = model.forward(sample, manager.create(250f), context);
        NDArray vector = model.forward(sample, manager.create(new float[] {250f, 250f}), context);
        NDArray integer = model.forward(sample, manager.create(new long[] {250}), context);
        assertThat(scalar.toFloatArray()).containsExactly(vector.toFloatArray());
        assertThat(integer.toFloatArray()).containsExactly(vector.toFloatArray());
    }

    @Test
    void sizesThatAreNotMultiplesOfTheUpFactorMatchTheSkips() {
        String threeLevels = """
                {"block_out_channels": [8, 16, 16], "norm_num_groups": 4, "layers_per_block": 1,
                 "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D", "DownBlock2D"],
                 "up_block_types": ["UpBlock2D", "UpBlock2D", "CrossAttnUpBlock2D"],
                 "cross_attention_dim": 8, "attention_head_dim": 2}
                """;
        UNet2DConditionModel model = new UNet2DConditionModel(manager, UNet2DConditionConfig.parse(threeLevels));
        NDArray out = model.forward(manager.randomNormal(new Shape(1, 4, 7, 10)), manager.create(9L),
                manager.randomNormal(new Shape(1, 3, 8)));
        assertThat(out.getShape()).isEqualTo(new Shape(1, 4, 7, 10));
    }

    @Test
    void rejectsMisshapedInputs() {
        UNet2DConditionModel model = new UNet2DConditionModel(manager, UNet2DConditionConfig.parse(UNetConfigs.TINY_SD2));
        NDArray context = manager.zeros(new Shape(2, 3, 32));
        assertThatThrownBy(() -> model.forward(manager.zeros(new Shape(2, 3, 8, 8)), manager.create(1L), context))
                .hasMessageContaining("sample must be (B, 4, H, W)");
        assertThatThrownBy(() -> model.forward(manager.zeros(new Shape(2, 4, 8, 8)), manager.create(new long[] {1, 2, 3}), context))
                .hasMessageContaining("timesteps must be a scalar or (2)");
        assertThatThrownBy(() -> model.forward(manager.zeros(new Shape(1, 4, 8, 8)), manager.create(1L), context))
                .hasMessageContaining("encoder hidden states must be (1, L, D)");
    }

    @Test
    void reportsItsParameterType() {
        UNet2DConditionModel model = new UNet2DConditionModel(manager, UNet2DConditionConfig.parse(UNetConfigs.TINY_SD2));
        assertThat(model.dataType()).isEqualTo(DataType.FLOAT32);
    }
}
