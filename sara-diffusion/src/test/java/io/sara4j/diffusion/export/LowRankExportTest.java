package io.sara4j.diffusion.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import io.sara4j.core.io.RawTensor;
import io.sara4j.core.io.SafetensorsDType;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.peft.BaseFingerprint;
import io.sara4j.core.peft.SparseAdapter;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.testing.TinyPipelines;
import io.sara4j.diffusion.unet.UNet2DConditionConfig;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LowRankExportTest extends EngineTestBase {
    @TempDir
    Path dir;

    private UNet2DConditionModel unet() {
        return RandomWeights.fill(new UNet2DConditionModel(manager, UNet2DConditionConfig.parse(TinyPipelines.UNET_LATENT)), 1);
    }

    /** A sparse adapter over every tensor of the tiny UNet: about a third of the entries changed, by N(0, 0.01²). */
    private SparseAdapter adapter(UNet2DConditionModel base) throws Exception {
        Random random = new Random(42);
        Map<String, RawTensor> tensors = new LinkedHashMap<>();
        Map<String, NDArray> prints = new LinkedHashMap<>();
        long count = 0;
        for (Map.Entry<String, Parameter> p : base.namedParameters().entrySet()) {
            long numel = p.getValue().shape().size();
            List<Integer> positions = new ArrayList<>();
            for (int i = 0; i < numel; i++) {
                if (random.nextDouble() < 0.35) {
                    positions.add(i);
                }
            }
            ByteBuffer idx = ByteBuffer.allocate(positions.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer delta = ByteBuffer.allocate(positions.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int pos : positions) {
                idx.putInt(pos);
                delta.putFloat((float) (0.01 * random.nextGaussian()));
            }
            tensors.put(p.getKey() + SparseAdapter.IDX_SUFFIX, new RawTensor(SafetensorsDType.I32, new long[] {positions.size()}, idx.flip()));
            tensors.put(p.getKey() + SparseAdapter.DELTA_SUFFIX, new RawTensor(SafetensorsDType.F32, new long[] {positions.size()}, delta.flip()));
            prints.put(p.getKey(), p.getValue().data());
            count += positions.size();
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", SparseAdapter.FORMAT);
        meta.put("format_version", "1");
        meta.put("method", "sara");
        meta.put("threshold", "");
        meta.put("config", "{}");
        meta.put("steps", "1");
        meta.put("count", Long.toString(count));
        meta.put("base_fingerprint", BaseFingerprint.of(prints).toJson());
        Path file = dir.resolve("adapter.safetensors");
        SafetensorsWriter.writeRaw(file, tensors, meta);
        return SparseAdapter.read(file, manager);
    }

    private static double maxAbsDiff(NDArray a, NDArray b) {
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs((double) x[i] - y[i]));
        }
        return m;
    }

    @Test
    void atFullRankBasePlusExportedLoraEqualsBasePlusAdapterOn2dAnd4dWeights() throws Exception {
        UNet2DConditionModel tuned = unet();
        UNet2DConditionModel viaDiffusers = unet();
        UNet2DConditionModel viaKohya = unet();
        UNet2DConditionModel base = unet();
        try (SparseAdapter adapter = adapter(base)) {
            adapter.applyTo(tuned);
            LowRankExport.Result result = LowRankExport.export(adapter, new LowRankExport.Rule.Rank(100_000));
            assertThat(result.factors()).allSatisfy(f -> {
                assertThat(f.rank()).isEqualTo(f.maxRank());
                assertThat(f.keptEnergy()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
                assertThat(f.relativeError()).isLessThan(1e-6);
            });
            assertThat(result.relativeError()).isLessThan(1e-6);
            assertThat(result.leftOut()).isNotEmpty().allSatisfy(l -> assertThat(l.shape()).hasSize(1));
            Path diffusers = dir.resolve("d.safetensors");
            Path kohya = dir.resolve("k.safetensors");
            ExportedLora.write(result, LoraLayout.DIFFUSERS, diffusers, Map.of());
            ExportedLora.write(result, LoraLayout.KOHYA, kohya, Map.of());
            ExportedLora.apply(viaDiffusers, diffusers, 1.0);
            ExportedLora.apply(viaKohya, kohya, 1.0);
        }
        Map<String, Parameter> b = base.namedParameters();
        Map<String, Parameter> t = tuned.namedParameters();
        Map<String, Parameter> d = viaDiffusers.namedParameters();
        Map<String, Parameter> k = viaKohya.namedParameters();
        for (String name : b.keySet()) {
            if (b.get(name).shape().dimension() == 1) {
                assertThat(maxAbsDiff(d.get(name).data(), b.get(name).data())).as("left out: " + name).isZero();
                continue;
            }
            double change = maxAbsDiff(t.get(name).data(), b.get(name).data());
            assertThat(change).as(name).isGreaterThan(0);
            assertThat(maxAbsDiff(d.get(name).data(), t.get(name).data())).as(name).isLessThan(1e-5 * change + 1e-6);
            assertThat(maxAbsDiff(k.get(name).data(), d.get(name).data())).as("both layouts give the same model: " + name).isZero();
        }
    }

    @Test
    void theEnergyRulePicksTheSmallestRankAndTheRankRuleIsCapped() {
        // singular values 3, 2, 1, 0.5: energies 9, 4, 1, 0.25 of 14.25
        DMatrixRMaj dw = new DMatrixRMaj(4, 5);
        double[] s = {2, 0.5, 3, 1}; // out of order on purpose
        for (int i = 0; i < 4; i++) {
            dw.set(i, (i * 2) % 5, s[i]);
        }
        long[] shape = {4, 5};
        assertThat(LowRankExport.factorise("m.weight", shape, dw, new LowRankExport.Rule.Energy(0.6)).rank()).isEqualTo(1);
        assertThat(LowRankExport.factorise("m.weight", shape, dw, new LowRankExport.Rule.Energy(0.9)).rank()).isEqualTo(2);
        assertThat(LowRankExport.factorise("m.weight", shape, dw, new LowRankExport.Rule.Energy(13.0 / 14.25)).rank())
                .as("reaching E exactly is enough").isEqualTo(2);
        assertThat(LowRankExport.factorise("m.weight", shape, dw, new LowRankExport.Rule.Energy(0.95)).rank()).isEqualTo(3);
        assertThat(LowRankExport.factorise("m.weight", shape, dw, new LowRankExport.Rule.Energy(1.0)).rank()).isEqualTo(4);
        LowRankExport.Factor capped = LowRankExport.factorise("m.weight", shape, dw, new LowRankExport.Rule.Rank(9));
        assertThat(capped.rank()).isEqualTo(4);
        assertThat(capped.maxRank()).isEqualTo(4);
        LowRankExport.Factor two = LowRankExport.factorise("m.weight", shape, dw, new LowRankExport.Rule.Rank(2));
        assertThat(two.keptEnergy()).isCloseTo(13 / 14.25, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(two.relativeError()).isCloseTo(Math.sqrt(1.25 / 14.25), org.assertj.core.data.Offset.offset(1e-6));
        assertThatThrownBy(() -> new LowRankExport.Rule.Energy(0)).hasMessageContaining("energy");
        assertThatThrownBy(() -> new LowRankExport.Rule.Rank(0)).hasMessageContaining("rank");
    }

    @Test
    void theReportedErrorIsTheFloat64ResidualOfTheStoredFactors() {
        Random random = new Random(3);
        int out = 7;
        int in = 12;
        DMatrixRMaj dw = new DMatrixRMaj(out, in);
        for (int i = 0; i < dw.data.length; i++) {
            dw.data[i] = random.nextGaussian();
        }
        LowRankExport.Factor f = LowRankExport.factorise("x.weight", new long[] {out, in}, dw, new LowRankExport.Rule.Rank(3));
        double err = 0;
        double norm = 0;
        for (int i = 0; i < out; i++) {
            for (int j = 0; j < in; j++) {
                double p = 0;
                for (int r = 0; r < 3; r++) {
                    p += (double) f.up()[i * 3 + r] * f.down()[r * in + j];
                }
                err += (dw.get(i, j) - p) * (dw.get(i, j) - p);
                norm += dw.get(i, j) * dw.get(i, j);
            }
        }
        assertThat(f.relativeError()).isCloseTo(Math.sqrt(err / norm), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(f.squaredNorm()).isCloseTo(norm, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(f.relativeError() * f.relativeError()).as("Eckart–Young: the discarded energy")
                .isCloseTo(1 - f.keptEnergy(), org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void bothLayoutsLoadBackAtLowRankAsTheSameApproximatedModel() throws Exception {
        UNet2DConditionModel viaDiffusers = unet();
        UNet2DConditionModel viaKohya = unet();
        UNet2DConditionModel base = unet();
        LowRankExport.Result result;
        try (SparseAdapter adapter = adapter(base)) {
            result = LowRankExport.export(adapter, new LowRankExport.Rule.Energy(0.8));
        }
        assertThat(result.keptEnergy()).isBetween(0.8, 1.0);
        assertThat(result.factors()).anySatisfy(f -> assertThat(f.rank()).isLessThan(f.maxRank()));
        Path diffusers = dir.resolve("d.safetensors");
        Path kohya = dir.resolve("k.safetensors");
        ExportedLora.write(result, LoraLayout.DIFFUSERS, diffusers, Map.of());
        ExportedLora.write(result, LoraLayout.KOHYA, kohya, Map.of());
        assertThat(ExportedLora.apply(viaDiffusers, diffusers, 0.5)).hasSize(result.factors().size());
        ExportedLora.apply(viaKohya, kohya, 0.5);
        Map<String, Parameter> b = base.namedParameters();
        for (LowRankExport.Factor f : result.factors()) {
            float[] w0 = b.get(f.parameter()).data().toFloatArray();
            float[] wd = viaDiffusers.namedParameters().get(f.parameter()).data().toFloatArray();
            float[] wk = viaKohya.namedParameters().get(f.parameter()).data().toFloatArray();
            int in = f.fanIn();
            for (int i = 0; i < w0.length; i++) {
                double p = 0;
                for (int r = 0; r < f.rank(); r++) {
                    p += (double) f.up()[(i / in) * f.rank() + r] * f.down()[r * in + i % in];
                }
                assertThat((double) wd[i]).as(f.parameter()).isCloseTo(w0[i] + 0.5 * p, org.assertj.core.data.Offset.offset(1e-6));
                assertThat(wk[i]).as(f.parameter()).isEqualTo(wd[i]);
            }
        }
    }

    @Test
    void keyNamesOfBothLayoutsOnATinyUNet() throws Exception {
        UNet2DConditionModel base = unet();
        LowRankExport.Result result;
        try (SparseAdapter adapter = adapter(base)) {
            result = LowRankExport.export(adapter, new LowRankExport.Rule.Rank(2));
        }
        Path diffusers = dir.resolve("d.safetensors");
        Path kohya = dir.resolve("k.safetensors");
        ExportedLora.write(result, LoraLayout.DIFFUSERS, diffusers, Map.of());
        ExportedLora.write(result, LoraLayout.KOHYA, kohya, Map.of());
        try (SafetensorsFile d = SafetensorsFile.open(diffusers); SafetensorsFile k = SafetensorsFile.open(kohya)) {
            assertThat(d.names()).contains(
                    "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight",
                    "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_B.weight",
                    "unet.down_blocks.0.resnets.0.conv1.lora_A.weight",
                    "unet.conv_in.lora_B.weight",
                    "unet.time_embedding.linear_1.lora_A.weight",
                    "unet.up_blocks.1.attentions.0.transformer_blocks.0.ff.net.0.proj.lora_B.weight");
            assertThat(d.names()).noneMatch(n -> n.contains("bias") || n.contains("norm") || n.endsWith(".alpha"));
            assertThat(k.names()).contains(
                    "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight",
                    "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_up.weight",
                    "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.alpha",
                    "lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight",
                    "lora_unet_conv_in.lora_up.weight",
                    "lora_unet_time_embedding_linear_1.alpha",
                    "lora_unet_up_blocks_1_attentions_0_transformer_blocks_0_ff_net_0_proj.lora_up.weight");
            assertThat(k.names()).allMatch(n -> n.startsWith("lora_unet_"));
            // conv factors keep 4-D shapes: down (r, in, k, k), up (out, r, 1, 1)
            assertThat(k.info("lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight").shape()).containsExactly(2, 8, 3, 3);
            assertThat(k.info("lora_unet_down_blocks_0_resnets_0_conv1.lora_up.weight").shape()).containsExactly(8, 2, 1, 1);
            assertThat(d.info("unet.down_blocks.0.resnets.0.conv1.lora_A.weight").shape()).containsExactly(2, 8, 3, 3);
            assertThat(d.info("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight").shape())
                    .containsExactly(2, 8);
            assertThat(k.info("lora_unet_conv_in.alpha").shape()).isEmpty();
            assertThat(k.metadata()).containsEntry("layout", "kohya").containsEntry("ss_network_module", "networks.lora");
        }
    }

    @Test
    void aFileThatDoesNotFitTheModelIsRefusedNamingTheKey() throws Exception {
        ByteBuffer one = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f).flip();
        Map<String, RawTensor> tensors = new LinkedHashMap<>();
        tensors.put("lora_unet_down_blocks_9_nothing.lora_down.weight", new RawTensor(SafetensorsDType.F32, new long[] {1, 1}, one));
        tensors.put("lora_unet_down_blocks_9_nothing.lora_up.weight", new RawTensor(SafetensorsDType.F32, new long[] {1, 1}, one));
        Path file = dir.resolve("foreign.safetensors");
        SafetensorsWriter.writeRaw(file, tensors, Map.of());
        assertThatThrownBy(() -> ExportedLora.apply(unet(), file, 1.0))
                .hasMessageContaining(file.toString())
                .hasMessageContaining("lora_unet_down_blocks_9_nothing.lora_down.weight");
    }
}
