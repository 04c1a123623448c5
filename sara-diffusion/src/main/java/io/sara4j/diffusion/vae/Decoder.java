package io.sara4j.diffusion.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.GroupNorm;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.ModuleList;
import java.util.List;

/**
 * diffusers {@code Decoder} (models/autoencoders/vae.py) with {@code norm_type="group"}:
 * conv_in → mid block → up blocks → group norm → SiLU → conv_out.
 *
 * <p>Shapes: (N, latent_channels, h, w) → (N, out_channels, h·f, w·f) with f = 2^(levels − 1).
 * Keys: {@code conv_in}, {@code up_blocks.i.*} ({@link UpDecoderBlock2D}, lowest resolution first,
 * {@code layers_per_block + 1} resnets each), {@code mid_block.*} ({@link UNetMidBlock2D}),
 * {@code conv_norm_out}, {@code conv_out}.
 */
public final class Decoder extends Module {
    private static final float EPS = 1e-6f; // every norm of the VAE

    private final Conv2d convIn;
    private final ModuleList<UpDecoderBlock2D> upBlocks;
    private final UNetMidBlock2D midBlock;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    /** Builds the decoder from {@code config}. */
    public Decoder(NDManager manager, AutoencoderKLConfig config) {
        List<Integer> channels = config.blockOutChannels();
        int levels = channels.size();
        int last = channels.get(levels - 1);
        int groups = config.normNumGroups();
        Activations act = config.activation();
        this.convIn = registerModule("conv_in", new Conv2d(manager, config.latentChannels(), last, 3, 1, 1));
        // diffusers assigns up_blocks before mid_block, so that is the registration (and key) order
        this.upBlocks = registerModule("up_blocks", new ModuleList<>());
        this.midBlock = registerModule("mid_block",
                new UNetMidBlock2D(manager, last, groups, EPS, act, config.midBlockAddAttention()));
        int outputChannel = last;
        for (int i = 0; i < levels; i++) {
            int prevOutputChannel = outputChannel;
            outputChannel = channels.get(levels - 1 - i); // reversed block_out_channels
            boolean isFinalBlock = i == levels - 1;
            upBlocks.add(new UpDecoderBlock2D(manager, prevOutputChannel, outputChannel, config.layersPerBlock() + 1,
                    groups, EPS, act, !isFinalBlock));
        }
        this.convNormOut = registerModule("conv_norm_out", new GroupNorm(manager, groups, channels.get(0), EPS));
        this.convOut = registerModule("conv_out", new Conv2d(manager, channels.get(0), config.outChannels(), 3, 1, 1));
    }

    /** Decodes {@code sample} (N, latent_channels, h, w) to (N, out_channels, h·f, w·f). */
    public NDArray forward(NDArray sample) {
        NDArray h = convIn.forward(sample);       // (N, C_last, h, w)
        h = midBlock.forward(h);
        // diffusers casts to the up blocks' dtype here; all parameters share one dtype in sara4j
        for (UpDecoderBlock2D block : upBlocks) {
            h = block.forward(h);                 // doubles h, w in all but the last block
        }
        h = convNormOut.forward(h);               // (N, C0, h·f, w·f)
        h = Activations.silu(h);                  // conv_act is nn.SiLU whatever act_fn says
        return convOut.forward(h);                // (N, out_channels, h·f, w·f)
    }
}
