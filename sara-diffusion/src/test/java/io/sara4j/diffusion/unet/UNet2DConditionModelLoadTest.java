package io.sara4j.diffusion.unet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.nn.StateDictMismatchException;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link UNet2DConditionModel#load} and {@link UNet2DConditionModel#save}: round trips, variants, errors. */
class UNet2DConditionModelLoadTest extends EngineTestBase {

    private NDArray[] inputs(Random random) {
        return new NDArray[] {
            Tensors.float32(manager, Tensors.normal(random, 2 * 4 * 64), new Shape(2, 4, 8, 8)),
            manager.create(new long[] {17, 640}),
            Tensors.float32(manager, Tensors.normal(random, 2 * 5 * 32), new Shape(2, 5, 32)),
        };
    }

    @Test
    void saveThenLoadReproducesWeightsAndOutputsExactly(@TempDir Path dir) throws Exception {
        for (String json : new String[] {UNetConfigs.TINY_SD1, UNetConfigs.TINY_SD2}) {
            Engine.getEngine("PyTorch").setRandomSeed(7);
            UNet2DConditionModel original = new UNet2DConditionModel(manager, UNet2DConditionConfig.parse(json));
            Path folder = dir.resolve(json == UNetConfigs.TINY_SD1 ? "sd1" : "sd2").resolve("unet");
            original.save(folder);
            assertThat(folder.resolve("config.json")).isRegularFile();
            try (SafetensorsFile file = SafetensorsFile.open(folder.resolve("diffusion_pytorch_model.safetensors"))) {
                assertThat(file.metadata()).containsEntry("format", "pt");
                assertThat(file.names()).containsExactlyInAnyOrderElementsOf(original.namedParameters().keySet());
            }

            UNet2DConditionModel loaded = UNet2DConditionModel.load(folder, manager, DataType.FLOAT32);
            assertThat(loaded.config()).isEqualTo(original.config());
            original.stateDict().forEach((key, value) ->
                    assertThat(loaded.stateDict().get(key).toFloatArray()).as(key).containsExactly(value.toFloatArray()));
            NDArray[] in = inputs(new Random(8));
            assertThat(loaded.forward(in[0], in[1], in[2]).toFloatArray())
                    .containsExactly(original.forward(in[0], in[1], in[2]).toFloatArray());
        }
    }

    @Test
    void loadsTheFp16VariantWhenAskedOrWhenItIsTheOnlyFile(@TempDir Path dir) throws Exception {
        UNet2DConditionModel original = new UNet2DConditionModel(manager, UNet2DConditionConfig.parse(UNetConfigs.TINY_SD2));
        original.convertTo(DataType.FLOAT16);
        original.save(dir);
        Files.move(dir.resolve("diffusion_pytorch_model.safetensors"), dir.resolve("diffusion_pytorch_model.fp16.safetensors"));

        for (String variant : new String[] {null, "fp16"}) {
            UNet2DConditionModel loaded = UNet2DConditionModel.load(dir, manager, DataType.FLOAT32, variant);
            assertThat(loaded.dataType()).isEqualTo(DataType.FLOAT32);
            String key = "up_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight";
            assertThat(loaded.stateDict().get(key).toFloatArray())
                    .containsExactly(original.stateDict().get(key).toType(DataType.FLOAT32, false).toFloatArray());
        }
        UNet2DConditionModel half = UNet2DConditionModel.load(dir, manager, DataType.FLOAT16, "fp16");
        assertThat(half.dataType()).isEqualTo(DataType.FLOAT16);
        assertThatThrownBy(() -> UNet2DConditionModel.load(dir, manager, DataType.FLOAT32, "ema"))
                .hasMessageContaining("expected diffusion_pytorch_model.ema.safetensors (variant 'ema')");
    }

    @Test
    void strictLoadingListsEveryProblemAndNamesTheFile(@TempDir Path dir) throws Exception {
        Path fixture = UNet2DConditionModelParityTest.fixture();
        Files.copy(fixture.resolve("config.json"), dir.resolve("config.json"));
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(fixture.resolve("diffusion_pytorch_model.safetensors"))) {
            tensors.putAll(file.loadAll(manager, null));
        }
        tensors.remove("mid_block.attentions.0.proj_in.bias");
        tensors.remove("down_blocks.0.resnets.1.norm2.weight");
        tensors.put("up_blocks.1.resnets.0.conv1.weight", manager.zeros(new Shape(16, 47, 3, 3)));
        tensors.put("class_embedding.weight", manager.zeros(new Shape(10, 64)));
        Path weights = dir.resolve("diffusion_pytorch_model.safetensors");
        SafetensorsWriter.write(weights, tensors, Map.of("format", "pt"));

        assertThatThrownBy(() -> UNet2DConditionModel.load(dir, manager, DataType.FLOAT32))
                .isInstanceOfSatisfying(StateDictMismatchException.class, e -> {
                    assertThat(e.missing()).containsExactly(
                            "down_blocks.0.resnets.1.norm2.weight", "mid_block.attentions.0.proj_in.bias");
                    assertThat(e.unexpected()).containsExactly("class_embedding.weight");
                    assertThat(e.shapeMismatches()).containsExactly(
                            "up_blocks.1.resnets.0.conv1.weight: expected (16, 48, 3, 3), found (16, 47, 3, 3)");
                    assertThat(e.getMessage()).contains(weights.toString()).contains("UNet2DConditionModel");
                });
    }

    @Test
    void missingFilesAreNamed(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> UNet2DConditionModel.load(dir, manager, DataType.FLOAT32))
                .hasMessageContaining("no config.json in UNet folder " + dir);
        Files.copy(UNet2DConditionModelParityTest.fixture().resolve("config.json"), dir.resolve("config.json"));
        assertThatThrownBy(() -> UNet2DConditionModel.load(dir, manager, DataType.FLOAT32))
                .hasMessageContaining(dir + ": no weights file; expected diffusion_pytorch_model.safetensors or"
                        + " diffusion_pytorch_model.<variant>.safetensors");
        Files.writeString(dir.resolve("diffusion_pytorch_model.bin"), "pickle");
        assertThatThrownBy(() -> UNet2DConditionModel.load(dir, manager, DataType.FLOAT32))
                .hasMessageContaining("[diffusion_pytorch_model.bin] are pickle files, which sara4j never reads");
        assertThatThrownBy(() -> UNet2DConditionModel.load(dir, manager, DataType.INT32))
                .hasMessageContaining("unsupported compute type int32");
    }
}
