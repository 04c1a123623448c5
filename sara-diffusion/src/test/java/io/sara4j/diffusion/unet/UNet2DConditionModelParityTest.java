package io.sara4j.diffusion.unet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.GroupNorm;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.Parity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fidelity test: the diffusers 0.27.2 fixture folder {@code parity/unet_sd1_tiny} (SD1 layout,
 * every parameter perturbed) is loaded unchanged through {@link UNet2DConditionModel#load}, the
 * path real checkpoints take, and must reproduce diffusers' output and intermediates to
 * 1e-4 absolute + 1e-4 relative, element by element.
 */
class UNet2DConditionModelParityTest extends EngineTestBase {

    private SafetensorsFile io;
    private NDArray sample;
    private NDArray timestep;
    private NDArray context;

    static Path fixture() throws Exception {
        return Path.of(UNet2DConditionModelParityTest.class.getResource("/parity/unet_sd1_tiny").toURI());
    }

    @BeforeEach
    void openFixture() throws Exception {
        io = SafetensorsFile.open(fixture().resolve("io.safetensors"));
        sample = io.load("in.sample", manager);
        timestep = io.load("in.timestep", manager);
        context = io.load("in.encoder_hidden_states", manager);
    }

    @AfterEach
    void closeFixture() throws Exception {
        io.close();
    }

    /** {@link Parity#assertClose} against the fixture's tensor {@code what}. */
    private void assertClose(String what, NDArray actual) {
        Parity.assertClose(what, actual, io.load(what, manager));
    }

    @Test
    void reproducesDiffusersOutput() throws Exception {
        UNet2DConditionModel model = UNet2DConditionModel.load(fixture(), manager, DataType.FLOAT32);
        assertThat(io.info("in.timestep").dtype().name()).isEqualTo("I64");
        NDArray out = model.forward(sample, timestep, context);
        assertThat(out.getShape()).isEqualTo(new Shape(2, 4, 16, 16));
        assertClose("out.sample", out);
    }

    @Test
    void reproducesDiffusersOutputInFloat64() throws Exception {
        UNet2DConditionModel model = UNet2DConditionModel.load(fixture(), manager, DataType.FLOAT64);
        NDArray out = model.forward(sample.toType(DataType.FLOAT64, false), timestep,
                context.toType(DataType.FLOAT64, false));
        assertThat(out.getDataType()).isEqualTo(DataType.FLOAT64);
        assertClose("out.sample", out);
    }

    /** Re-runs the top-level forward step by step to compare every debug.* intermediate of the fixture. */
    @Test
    void reproducesDiffusersIntermediates() throws Exception {
        UNet2DConditionModel model = UNet2DConditionModel.load(fixture(), manager, DataType.FLOAT32);
        var modules = model.namedModules();

        NDArray tProj = ((Timesteps) modules.get("time_proj")).forward(timestep);
        assertClose("debug.time_proj", tProj);
        NDArray emb = ((TimestepEmbedding) modules.get("time_embedding")).forward(tProj);
        assertClose("debug.time_embedding", emb);

        NDArray h = ((Conv2d) modules.get("conv_in")).forward(sample);
        assertClose("debug.conv_in", h);
        List<NDArray> skips = new ArrayList<>(List.of(h));
        for (int i = 0; i < model.downBlocks().size(); i++) {
            UNetDownBlock.Output out = model.downBlocks().get(i).forward(h, emb, context);
            h = out.hiddenStates();
            skips.addAll(out.outputStates());
            assertClose("debug.down_blocks." + i, h);
        }
        h = model.midBlock().forward(h, emb, context);
        assertClose("debug.mid_block", h);
        for (int i = 0; i < model.upBlocks().size(); i++) {
            UNetUpBlock block = model.upBlocks().get(i);
            List<NDArray> mine = new ArrayList<>(skips.subList(skips.size() - block.numResnets(), skips.size()));
            skips.subList(skips.size() - block.numResnets(), skips.size()).clear();
            h = block.forward(h, mine, emb, context, null);
            assertClose("debug.up_blocks." + i, h);
        }
        h = ((GroupNorm) modules.get("conv_norm_out")).forward(h);
        assertClose("debug.conv_norm_out", h);
        h = ((Conv2d) modules.get("conv_out")).forward(model.config().activation().apply(h));
        assertClose("debug.conv_out", h);
        assertClose("out.sample", h);
    }
}
