package io.sara4j.diffusion.loading;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightFilesTest {
    @TempDir
    Path dir;

    private void touch(String... names) throws IOException {
        for (String n : names) {
            Files.writeString(dir.resolve(n), "x");
        }
    }

    @Test
    void prefersThePlainFileAndFallsBackToTheOnlyVariant() throws IOException {
        touch("diffusion_pytorch_model.fp16.safetensors", "config.json");
        assertThat(WeightFiles.find(dir, "diffusion_pytorch_model", null))
                .isEqualTo(dir.resolve("diffusion_pytorch_model.fp16.safetensors"));
        touch("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin");
        assertThat(WeightFiles.find(dir, "diffusion_pytorch_model", null))
                .isEqualTo(dir.resolve("diffusion_pytorch_model.safetensors"));
        assertThat(WeightFiles.find(dir, "diffusion_pytorch_model", "fp16"))
                .isEqualTo(dir.resolve("diffusion_pytorch_model.fp16.safetensors"));
    }

    @Test
    void aRequestedVariantMustExist() throws IOException {
        touch("model.safetensors");
        assertThatThrownBy(() -> WeightFiles.find(dir, "model", "fp16"))
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("expected model.fp16.safetensors (variant 'fp16')")
                .hasMessageContaining("found [model.safetensors]");
    }

    @Test
    void pickleOnlyFoldersAreRefusedWithAdvice() throws IOException {
        touch("pytorch_model.bin", "config.json");
        assertThatThrownBy(() -> WeightFiles.find(dir, "model", null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no weights file")
                .hasMessageContaining("[pytorch_model.bin] are pickle files, which sara4j never reads")
                .hasMessageContaining("safe_serialization=True");
    }

    @Test
    void severalVariantsAreAmbiguousAndShardsAreExplained() throws IOException {
        touch("model.fp16.safetensors", "model.bf16.safetensors");
        assertThatThrownBy(() -> WeightFiles.find(dir, "model", null)).hasMessageContaining("several variants");
        Path other = Files.createDirectory(dir.resolve("sharded"));
        Files.writeString(other.resolve("model.safetensors.index.json"), "{}");
        Files.writeString(other.resolve("model-00001-of-00002.safetensors"), "");
        assertThatThrownBy(() -> WeightFiles.find(other, "model", null)).hasMessageContaining("Sharded weights");
        assertThatThrownBy(() -> WeightFiles.find(dir.resolve("nope"), "model", null))
                .hasMessageContaining("not a directory");
    }
}
