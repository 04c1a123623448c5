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
 * diffusers {@code Encoder} (models/autoencoders/vae.py) as {@code AutoencoderKL} builds it
 * ({@code double_z=True}): conv_in → down blocks → mid block → group norm → SiLU → conv_out,
 * producing the mean and log-variance of the latent.
 *
 * <p>Shapes: (N, in_channels, H, W) → (N, 2·latent_channels, H/f, W/f) with f = 2^(levels − 1).
 * Keys: {@code conv_in}, {@code down_blocks.i.*} ({@link DownEncoderBlock2D}), {@code mid_block.*}
 * ({@link UNetMidBlock2D}), {@code conv_norm_out}, {@code conv_out}.
 */
public final class Encoder extends Module {
    private static final float EPS = 1e-6f; // every norm of the VAE

    private final Conv2d convIn;
    private final ModuleList<DownEncoderBlock2D> downBlocks;
    private final UNetMidBlock2D midBlock;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    /** Builds the encoder from {@code config}. */
    public Encoder(NDManager manager, AutoencoderKLConfig config) {
        List<Integer> channels = config.blockOutChannels();
        int last = channels.get(channels.size() - 1);
        int groups = config.normNumGroups();
        Activations act = config.activation();
        this.convIn = registerModule("conv_in", new Conv2d(manager, config.inChannels(), channels.get(0), 3, 1, 1));
        this.downBlocks = registerModule("down_blocks", new ModuleList<>());
        int outputChannel = channels.get(0);
        for (int i = 0; i < channels.size(); i++) {
            int inputChannel = outputChannel;
            outputChannel = channels.get(i);
            boolean isFinalBlock = i == channels.size() - 1;
            downBlocks.add(new DownEncoderBlock2D(manager, inputChannel, outputChannel, config.layersPerBlock(),
                    groups, EPS, act, !isFinalBlock));
        }
        this.midBlock = registerModule("mid_block",
                new UNetMidBlock2D(manager, last, groups, EPS, act, config.midBlockAddAttention()));
        this.convNormOut = registerModule("conv_norm_out", new GroupNorm(manager, groups, last, EPS));
        this.convOut = registerModule("conv_out", new Conv2d(manager, last, 2 * config.latentChannels(), 3, 1, 1));
    }

    /** Encodes {@code sample} (N, in_channels, H, W) to moments (N, 2·latent_channels, H/f, W/f). */
    public NDArray forward(NDArray sample) {
        NDArray h = convIn.forward(sample);       // (N, C0, H, W)
        for (DownEncoderBlock2D block : downBlocks) {
            h = block.forward(h);                 // halves H, W in all but the last block
        }
        h = midBlock.forward(h);                  // (N, C_last, H/f, W/f)
        h = convNormOut.forward(h);
        h = Activations.silu(h);                  // conv_act is nn.SiLU whatever act_fn says
        return convOut.forward(h);                // (N, 2·latent, H/f, W/f)
    }
}
