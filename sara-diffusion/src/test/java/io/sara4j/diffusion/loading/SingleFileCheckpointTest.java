package io.sara4j.diffusion.loading;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.io.RawTensor;
import io.sara4j.core.io.SafetensorsDType;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.nn.StateDictMismatchException;
import io.sara4j.diffusion.pipeline.DiffusersFolder;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.scheduler.PredictionType;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.testing.TinyPipelines;
import io.sara4j.diffusion.text.ClipTextConfig;
import io.sara4j.diffusion.text.ClipTextModel;
import io.sara4j.diffusion.unet.UNet2DConditionConfig;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SingleFileCheckpointTest extends EngineTestBase {
    @TempDir
    Path dir;

    /** The tiny SD1 pipeline written as a diffusers folder and as an LDM single file without metadata. */
    private Path[] sd1() throws IOException {
        StableDiffusionPipeline p = TinyPipelines.build(manager, true);
        Path folder = dir.resolve("sd1");
        p.save(folder);
        Path file = dir.resolve("sd1.safetensors");
        SingleFileCheckpoint.write(file, List.of(
                new SingleFileCheckpoint.Part(p.unet(), LdmKeyMap.unet(p.unet().config())),
                new SingleFileCheckpoint.Part(p.vae(), LdmKeyMap.vae(p.vae().config())),
                new SingleFileCheckpoint.Part(p.textEncoder(), LdmKeyMap.clip())), Map.of(), null);
        return new Path[] {folder, file};
    }

    private StableDiffusionPipeline folder(Path folder) throws IOException {
        return StableDiffusionPipeline.load(DiffusersFolder.open(folder), manager, DataType.FLOAT32);
    }

    /** UNet, VAE (encode and decode) and text-encoder outputs agree within float tolerance. */
    private void assertSameOutputs(StableDiffusionPipeline a, StableDiffusionPipeline b) {
        manager.getEngine().setRandomSeed(7);
        NDArray x = manager.randomNormal(new Shape(2, 4, 4, 4));
        NDArray t = manager.create(new float[] {10f, 500f});
        NDArray ctx = manager.randomNormal(new Shape(2, 5, 32));
        NDArray img = manager.randomUniform(-1f, 1f, new Shape(1, 3, 8, 8));
        NDArray ids = manager.create(new int[][] {{0, 5, 17, 99, 2, 1, 1}});
        close(a.unet().forward(x, t, ctx), b.unet().forward(x, t, ctx), "unet");
        close(a.vae().decode(x), b.vae().decode(x), "vae decode");
        close(a.vae().encode(img).mode(), b.vae().encode(img).mode(), "vae encode");
        close(a.textEncoder().forward(ids).lastHiddenState(), b.textEncoder().forward(ids).lastHiddenState(), "text");
    }

    private static void close(NDArray a, NDArray b, String what) {
        assertThat(a.getShape()).as(what).isEqualTo(b.getShape());
        float diff = a.sub(b).abs().max().getFloat();
        assertThat(diff).as(what + " max |difference|").isLessThanOrEqualTo(1e-6f);
    }

    /** Rewrites {@code in} tensor by tensor: {@code edit} returns the new name → tensor, or null to drop. */
    private static void rewrite(Path in, Path out, BiFunction<String, RawTensor, Map<String, RawTensor>> edit)
            throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(in)) {
            Map<String, RawTensor> tensors = new LinkedHashMap<>();
            for (String name : f.names()) {
                var info = f.info(name);
                Map<String, RawTensor> r = edit.apply(name, new RawTensor(info.dtype(), info.shape(), f.bytes(name)));
                if (r != null) {
                    tensors.putAll(r);
                }
            }
            SafetensorsWriter.writeRaw(out, tensors, f.metadata());
        }
    }

    @Test
    void sd1SingleFileLoadsToTheSameModelAsTheFolder() throws Exception {
        Path[] sd1 = sd1();
        StableDiffusionPipeline single = StableDiffusionPipeline.loadSingleFile(sd1[1],
                new SingleFileOptions(sd1[0], null), manager, DataType.FLOAT32);
        assertSameOutputs(folder(sd1[0]), single);
        assertThat(single.schedulerConfig().predictionType()).isEqualTo(PredictionType.EPSILON);
        // the same through the generic entry point that every command uses
        StableDiffusionPipeline generic = StableDiffusionPipeline.load(sd1[1], null, new SingleFileOptions(sd1[0],
                PredictionType.V_PREDICTION), manager, DataType.FLOAT32);
        assertThat(generic.schedulerConfig().predictionType()).isEqualTo(PredictionType.V_PREDICTION);
    }

    @Test
    void architectureIsInferredFromTheTensors() throws Exception {
        Path[] sd1 = sd1();
        try (SingleFileCheckpoint c = SingleFileCheckpoint.open(sd1[1])) {
            assertThat(c.textLayout()).isEqualTo(SingleFileCheckpoint.TextLayout.CLIP);
            assertThat(c.emaOnly()).isFalse();
            UNet2DConditionConfig u = c.inferUnet(false);
            UNet2DConditionConfig want = UNet2DConditionConfig.parse(TinyPipelines.UNET_LATENT);
            assertThat(u.blockOutChannels()).isEqualTo(want.blockOutChannels());
            assertThat(u.layersPerBlock()).isEqualTo(want.layersPerBlock());
            assertThat(u.downBlockTypes()).isEqualTo(want.downBlockTypes());
            assertThat(u.upBlockTypes()).isEqualTo(want.upBlockTypes());
            assertThat(u.crossAttentionDim()).isEqualTo(want.crossAttentionDim());
            assertThat(u.inChannels()).isEqualTo(4);
            assertThat(u.outChannels()).isEqualTo(4);
            assertThat(u.useLinearProjection()).isFalse();
            assertThat(u.numAttentionHeads()).containsOnly(8); // SD1's 8 heads: not in the tensors
            var v = c.inferVae();
            assertThat(v.blockOutChannels()).containsExactly(8, 8);
            assertThat(v.layersPerBlock()).isEqualTo(1);
            assertThat(v.latentChannels()).isEqualTo(4);
            ClipTextConfig t = c.inferText();
            assertThat(List.of(t.vocabSize(), t.hiddenSize(), t.numHiddenLayers(), t.intermediateSize(),
                    t.maxPositionEmbeddings())).containsExactly(1000, 32, 2, 37, 77);
            assertThat(t.hiddenAct()).isEqualTo("quick_gelu");
        }
    }

    @Test
    void sd2OpenClipSingleFileLoadsToTheSameModelAsTheFolder() throws Exception {
        StableDiffusionPipeline base = TinyPipelines.build(manager, true);
        UNet2DConditionModel unet = RandomWeights.fill(new UNet2DConditionModel(manager, UNet2DConditionConfig.parse(
                TinyPipelines.UNET_LATENT.replace("\"sample_size\": 4", "\"sample_size\": 4, \"use_linear_projection\": true"))), 5);
        String gelu = TinyPipelines.CLIP.replace("quick_gelu", "gelu");
        // the file holds one layer more than diffusers uses (SD2 conditions on the penultimate layer)
        ClipTextModel full = RandomWeights.fill(new ClipTextModel(manager,
                ClipTextConfig.parse(gelu.replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3"), "clip3")), 6);
        ClipTextModel used = new ClipTextModel(manager, ClipTextConfig.parse(gelu, "clip2"));
        Map<String, NDArray> state = new LinkedHashMap<>(full.stateDict());
        state.keySet().removeIf(k -> k.startsWith("text_model.encoder.layers.2."));
        used.loadStateDict(state, true);
        StableDiffusionPipeline sd2 = new StableDiffusionPipeline(unet, base.vae(), used, base.tokenizer(),
                base.schedulerConfig());
        Path folder = dir.resolve("sd2");
        sd2.save(folder);
        Path file = dir.resolve("sd2.safetensors");
        SingleFileCheckpoint.write(file, List.of(
                new SingleFileCheckpoint.Part(unet, LdmKeyMap.unet(unet.config())),
                new SingleFileCheckpoint.Part(base.vae(), LdmKeyMap.vae(base.vae().config())),
                new SingleFileCheckpoint.Part(full, LdmKeyMap.openClip(3))), Map.of(), null);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.names()).contains("cond_stage_model.model.transformer.resblocks.2.attn.in_proj_weight")
                    .noneMatch(n -> n.contains("q_proj"));
            assertThat(f.info("cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight").shape())
                    .containsExactly(96, 32);
            assertThat(f.info("first_stage_model.decoder.mid.attn_1.q.weight").shape()).containsExactly(8, 8, 1, 1);
        }
        try (SingleFileCheckpoint c = SingleFileCheckpoint.open(file)) {
            assertThat(c.textLayout()).isEqualTo(SingleFileCheckpoint.TextLayout.OPEN_CLIP);
            ClipTextConfig t = c.inferText();
            assertThat(t.numHiddenLayers()).isEqualTo(2);
            assertThat(t.hiddenAct()).isEqualTo("gelu");
            assertThat(c.inferUnet(true).useLinearProjection()).isTrue();
            assertThat(c.inferUnet(true).sampleSize()).containsExactly(96, 96);
        }
        StableDiffusionPipeline single = StableDiffusionPipeline.loadSingleFile(file, new SingleFileOptions(folder, null),
                manager, DataType.FLOAT32);
        assertSameOutputs(folder(folder), single);

        // without a config the SD2 heuristic applies: v-prediction
        Path noScheduler = dir.resolve("sd2-config-only");
        sd2.save(noScheduler);
        io.sara4j.core.io.AtomicFiles.deleteRecursively(noScheduler.resolve("scheduler"));
        assertThat(StableDiffusionPipeline.loadSingleFile(file, new SingleFileOptions(noScheduler, null), manager,
                DataType.FLOAT32).schedulerConfig().predictionType()).isEqualTo(PredictionType.V_PREDICTION);
    }

    @Test
    void missingAndUnexpectedKeysAreNamed() throws Exception {
        Path[] sd1 = sd1();
        Path broken = dir.resolve("broken.safetensors");
        String gone = "model.diffusion_model.middle_block.1.proj_in.weight";
        rewrite(sd1[1], broken, (name, t) -> name.equals(gone) ? null
                : name.equals("first_stage_model.quant_conv.bias")
                        ? Map.of(name, t, "first_stage_model.quant_conv.extra", t) : Map.of(name, t));
        assertThatThrownBy(() -> StableDiffusionPipeline.loadSingleFile(broken, new SingleFileOptions(sd1[0], null),
                manager, DataType.FLOAT32))
                .isInstanceOf(StateDictMismatchException.class)
                .hasMessageContaining(gone + " (for mid_block.attentions.0.proj_in.weight)")
                .hasMessageContaining("first_stage_model.quant_conv.extra");
    }

    @Test
    void pickleAndForeignFilesAreRefusedWithTheReason() throws Exception {
        Path ckpt = Files.writeString(dir.resolve("model.ckpt"), "not read");
        assertThatThrownBy(() -> SingleFileCheckpoint.open(ckpt)).hasMessageContaining("pickle")
                .hasMessageContaining("safetensors");
        Path other = dir.resolve("other.safetensors");
        SafetensorsWriter.write(other, Map.of("weight", manager.zeros(new Shape(2))), Map.of());
        assertThatThrownBy(() -> SingleFileCheckpoint.open(other)).hasMessageContaining("latent-diffusion layout")
                .hasMessageContaining("model.diffusion_model.");
    }

    @Test
    void emaOnlyCheckpointsLoadTheEmaUNet() throws Exception {
        Path[] sd1 = sd1();
        Path ema = dir.resolve("ema.safetensors");
        rewrite(sd1[1], ema, (name, t) -> Map.of(name.startsWith("model.diffusion_model.")
                ? "model_ema." + name.substring("model.".length()).replace(".", "") : name, t));
        try (SingleFileCheckpoint c = SingleFileCheckpoint.open(ema)) {
            assertThat(c.emaOnly()).isTrue();
            assertThat(c.inferUnet(false).blockOutChannels()).containsExactly(8, 16);
        }
        assertSameOutputs(folder(sd1[0]), StableDiffusionPipeline.loadSingleFile(ema,
                new SingleFileOptions(sd1[0], null), manager, DataType.FLOAT32));
    }

    @Test
    void halfPrecisionRoundTripIsBitIdenticalAndKeepsExtraTensors() throws Exception {
        StableDiffusionPipeline p = TinyPipelines.build(manager, true);
        Path written = dir.resolve("written.safetensors");
        p.saveSingleFile(written, false, null);
        // a source as shared checkpoints are: F16 UNet, BF16 VAE, F32 text encoder, scheduler buffers
        Path source = dir.resolve("source.safetensors");
        rewrite(written, source, (name, t) -> {
            SafetensorsDType type = name.startsWith("model.") ? SafetensorsDType.F16
                    : name.startsWith("first_stage_model.") ? SafetensorsDType.BF16 : SafetensorsDType.F32;
            float[] values = new float[(int) java.util.Arrays.stream(t.shape()).reduce(1, (a, b) -> a * b)];
            t.data().asFloatBuffer().get(values);
            RawTensor converted = RawTensor.of(manager.create(values, new Shape(t.shape())), type);
            return name.equals("model.diffusion_model.out.2.bias")
                    ? Map.of(name, converted, "alphas_cumprod", t) : Map.of(name, converted);
        });
        // configs and scheduler from the metadata sara4j wrote; only the tokenizer (not bundled) from a folder
        Path tokenizerOnly = dir.resolve("tokenizer-only");
        p.tokenizer().save(tokenizerOnly.resolve("tokenizer"));
        SingleFileOptions options = new SingleFileOptions(tokenizerOnly, null);
        StableDiffusionPipeline loaded = StableDiffusionPipeline.loadSingleFile(source, options, manager, DataType.FLOAT32);
        Path out = dir.resolve("out.safetensors");
        loaded.saveSingleFile(out, false, source);
        try (SafetensorsFile a = SafetensorsFile.open(source); SafetensorsFile b = SafetensorsFile.open(out)) {
            assertThat(b.names()).containsExactlyInAnyOrderElementsOf(a.names());
            for (String name : a.names()) {
                assertThat(b.info(name).dtype()).as(name).isEqualTo(a.info(name).dtype());
                assertThat(b.bytes(name)).as(name).isEqualTo(a.bytes(name));
            }
        }
        assertSameOutputs(loaded, StableDiffusionPipeline.loadSingleFile(out, options, manager, DataType.FLOAT32));
    }
}
