package io.sara4j.cli.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.peft.Lora;
import io.sara4j.core.peft.LoraConfig;
import io.sara4j.diffusion.pipeline.DiffusersFolder;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BenchModelTest {
    @TempDir
    Path dir;

    @Test
    void theBenchmarkUnetHasTheIssuesCountsAndShapes() throws Exception {
        BenchModel bench = BenchModel.choose(null, null, null);
        assertThat(bench.latentSize()).isEqualTo(32);
        assertThat(bench.textWidth()).isEqualTo(256);
        try (NDManager manager = Engines.pytorch().newBaseManager()) {
            UNet2DConditionModel unet = bench.build(manager);
            // issue 11's figures: 34,966,724 parameters, SaRA's 10% = 3,496,672 values, LoRA r = 81 → 3,494,016
            assertThat(unet.parameterCount()).isEqualTo(34_966_724L);
            assertThat(BenchMethod.saraBudget(unet, BenchMethod.SARA_FRACTION)).isEqualTo(3_496_672L);
            assertThat(Lora.rankForCount(unet, LoraConfig.ATTENTION_TARGETS, BenchMethod.saraBudget(unet, BenchMethod.SARA_FRACTION))).isEqualTo(81);
            try (Lora lora = Lora.attach(unet, LoraConfig.rank(81))) {
                assertThat(lora.trainableCount()).isEqualTo(3_494_016L);
            }
        }
    }

    @Test
    void aConfigFileSetsTheLatentSizeUnlessTheOptionDoes() throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, BenchCommandTest.TINY_UNET);
        assertThat(BenchModel.choose(config, null, null).latentSize()).isEqualTo(8);
        assertThat(BenchModel.choose(config, null, 16).latentSize()).isEqualTo(16);
        assertThat(BenchModel.choose(config, null, null).textWidth()).isEqualTo(16);
    }

    @Test
    void badChoicesAreRefusedNamingTheOption() {
        assertThatThrownBy(() -> BenchModel.choose(dir.resolve("a.json"), dir, null)).hasMessageContaining("--unet-config or --model");
        assertThatThrownBy(() -> BenchModel.choose(null, null, 0)).hasMessageContaining("--latent-size");
    }

    @Test
    void aSingleFileCheckpointIsBenchmarkedWithTheSameUnetAsItsFolder() throws Exception {
        Path folder = io.sara4j.cli.TinyModelFolder.write(dir.resolve("model"), 6);
        Path file = dir.resolve("model.safetensors");
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            StableDiffusionPipeline.load(DiffusersFolder.open(folder), m, DataType.FLOAT32).saveSingleFile(file, false, null);
            BenchModel fromFolder = BenchModel.choose(null, folder, null);
            BenchModel fromFile = BenchModel.choose(null, file, null);
            assertThat(fromFile.config().toJson()).isEqualTo(fromFolder.config().toJson());
            UNet2DConditionModel a = fromFolder.build(m);
            UNet2DConditionModel b = fromFile.build(m);
            a.stateDict().forEach((k, v) -> assertThat(b.stateDict().get(k).toFloatArray()).as(k).containsExactly(v.toFloatArray()));
        }
    }
}
