package io.sara4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.nn.Engines;
import io.sara4j.diffusion.loading.SingleFileOptions;
import io.sara4j.diffusion.pipeline.DiffusersFolder;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --model file.safetensors} and {@code sara merge --format single-file}. */
class SingleFileCliTest {
    @TempDir
    Path dir;

    /** The tiny model folder and the same weights as an LDM single file. */
    private Path[] tinyModel() throws Exception {
        Path folder = TinyModelFolder.write(dir.resolve("model"), 4);
        Path file = dir.resolve("model.safetensors");
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            StableDiffusionPipeline.load(DiffusersFolder.open(folder), m, DataType.FLOAT32).saveSingleFile(file, false, null);
        }
        return new Path[] {folder, file};
    }

    private Path adapter(Path folder) throws Exception {
        Path adapter = dir.resolve("adapter.safetensors");
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            MergeCommandTest.trainAdapter(DiffusersFolder.open(folder).loadUnet(m, DataType.FLOAT32), m, adapter);
        }
        return adapter;
    }

    @Test
    void sampleFromASingleFileGivesTheFolderImages() throws Exception {
        Path[] model = tinyModel();
        Path a = dir.resolve("folder.png");
        Path b = dir.resolve("file.png");
        String[] common = {"sample", "--prompt", "a red", "--n", "2", "--steps", "2", "--seed", "5"};
        CliRun folder = CliRun.sara(concat(common, "--model", model[0].toString(), "--out", a.toString()));
        assertThat(folder.code()).as(folder.err()).isZero();
        CliRun file = CliRun.sara(concat(common, "--model", model[1].toString(), "--config", model[0].toString(),
                "--out", b.toString()));
        assertThat(file.code()).as(file.err()).isZero();
        assertThat(Files.readAllBytes(b)).isEqualTo(Files.readAllBytes(a));

        CliRun ckpt = CliRun.sara(concat(common, "--model", Files.writeString(dir.resolve("m.ckpt"), "x").toString(),
                "--out", dir.resolve("c.png").toString()));
        assertThat(ckpt.code()).isEqualTo(1);
        assertThat(ckpt.err()).contains("pickle");
        CliRun misplaced = CliRun.sara(concat(common, "--model", model[0].toString(), "--config", model[0].toString(),
                "--out", dir.resolve("d.png").toString()));
        assertThat(misplaced.err()).contains("single-file --model only");
        CliRun variant = CliRun.sara(concat(common, "--model", model[1].toString(), "--variant", "fp16",
                "--out", dir.resolve("e.png").toString()));
        assertThat(variant.code()).isEqualTo(1);
        assertThat(variant.err()).contains("--variant applies to a diffusers folder only");
    }

    @Test
    void mergeToASingleFileReproducesTheMergedModelExactly() throws Exception {
        Path[] model = tinyModel();
        Path adapter = adapter(model[0]);
        Path mergedDir = dir.resolve("merged");
        Path mergedFile = dir.resolve("merged.safetensors");
        CliRun toDir = CliRun.sara("merge", "--model", model[0].toString(), "--adapter", adapter.toString(),
                "--scale", "0.5", "--out", mergedDir.toString());
        assertThat(toDir.code()).as(toDir.err()).isZero();
        CliRun toFile = CliRun.sara("merge", "--model", model[0].toString(), "--adapter", adapter.toString(),
                "--scale", "0.5", "--format", "single-file", "--out", mergedFile.toString());
        assertThat(toFile.code()).as(toFile.err()).isZero();
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            StableDiffusionPipeline folder = StableDiffusionPipeline.load(DiffusersFolder.open(mergedDir), m,
                    DataType.FLOAT32);
            StableDiffusionPipeline file = StableDiffusionPipeline.loadSingleFile(mergedFile,
                    new SingleFileOptions(model[0], null), m, DataType.FLOAT32);
            Map<String, NDArray> want = folder.unet().stateDict();
            file.unet().stateDict().forEach((k, v) ->
                    assertThat(v.toFloatArray()).as(k).containsExactly(want.get(k).toFloatArray()));
        }

        // single file in, single file out: tensors the adapter does not touch come back bit for bit
        Path again = dir.resolve("again.safetensors");
        CliRun fromFile = CliRun.sara("merge", "--model", model[1].toString(), "--config", model[0].toString(),
                "--adapter", adapter.toString(), "--format", "single-file", "--out", again.toString());
        assertThat(fromFile.code()).as(fromFile.err()).isZero();
        try (SafetensorsFile src = SafetensorsFile.open(model[1]); SafetensorsFile out = SafetensorsFile.open(again)) {
            assertThat(out.names()).containsExactlyInAnyOrderElementsOf(src.names());
            int same = 0;
            for (String name : src.names()) {
                if (!name.startsWith("model.diffusion_model.")) {
                    assertThat(out.bytes(name)).as(name).isEqualTo(src.bytes(name));
                    same++;
                }
            }
            assertThat(same).isPositive();
        }
        CliRun exists = CliRun.sara("merge", "--model", model[0].toString(), "--adapter", adapter.toString(),
                "--format", "single-file", "--out", again.toString());
        assertThat(exists.code()).isEqualTo(1);
        assertThat(exists.err()).contains("already exists");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
