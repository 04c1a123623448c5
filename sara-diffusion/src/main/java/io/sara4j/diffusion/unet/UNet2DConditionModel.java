package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.GroupNorm;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.ModuleList;
import io.sara4j.core.nn.Scalars;
import io.sara4j.core.nn.StateDictMismatchException;
import io.sara4j.diffusion.loading.WeightFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * diffusers {@code UNet2DConditionModel}, the Stable Diffusion 1.x/2.x denoiser: predicts the noise
 * (or velocity) in a latent sample at a timestep, conditioned on text embeddings.
 *
 * <p>Structure: sinusoidal timestep projection → {@link TimestepEmbedding}; {@code conv_in}; one down
 * block per level (all but the last halve the resolution), whose skip connections the up blocks
 * consume in reverse; {@link UNetMidBlock2DCrossAttn} at the coarsest level; one up block per level
 * in reverse (all but the last double the resolution); group norm → activation → {@code conv_out}.
 *
 * <p>Shapes: sample (B, in_channels, H, W); timesteps (B) or a scalar, integer or float;
 * encoder hidden states (B, L, cross_attention_dim) → (B, out_channels, H, W). H and W need not be
 * multiples of 2^(levels−1): the upsamplers then match the skip connections' sizes.
 *
 * <p>Keys: {@code conv_in}, {@code time_embedding.linear_1/2}, {@code down_blocks.N},
 * {@code up_blocks.N}, {@code mid_block}, {@code conv_norm_out}, {@code conv_out} (diffusers lists
 * {@code up_blocks} before {@code mid_block} because it registers both block lists first).
 *
 * <p>Build one with {@link #UNet2DConditionModel(NDManager, UNet2DConditionConfig)} (PyTorch's
 * default initialisation), load a diffusers {@code unet/} folder with {@link #load}, write one with
 * {@link #save}.
 */
public final class UNet2DConditionModel extends Module {
    private final UNet2DConditionConfig config;
    private final Activations act;
    private final Conv2d convIn;
    private final Timesteps timeProj;
    private final TimestepEmbedding timeEmbedding;
    private final ModuleList<UNetDownBlock> downBlocks;
    private final ModuleList<UNetUpBlock> upBlocks;
    private final UNetMidBlock2DCrossAttn midBlock;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    /** Builds the model described by {@code config}; parameters are created in {@code manager} as float32. */
    public UNet2DConditionModel(NDManager manager, UNet2DConditionConfig config) {
        this.config = config;
        this.act = config.activation();
        List<Integer> channels = config.blockOutChannels();
        int levels = config.levels();
        int groups = config.normNumGroups();
        float eps = (float) config.normEps();
        float dropout = (float) config.dropout();
        int tembChannels = config.timeEmbedDim();

        int convInPadding = (config.convInKernel() - 1) / 2;
        this.convIn = registerModule("conv_in",
                new Conv2d(manager, config.inChannels(), channels.get(0), config.convInKernel(), 1, convInPadding));
        this.timeProj = registerModule("time_proj",
                new Timesteps(config.timeProjDim(), config.flipSinToCos(), config.freqShift()));
        this.timeEmbedding = registerModule("time_embedding",
                new TimestepEmbedding(manager, config.timeProjDim(), tembChannels, act));

        this.downBlocks = registerModule("down_blocks", new ModuleList<>());
        this.upBlocks = registerModule("up_blocks", new ModuleList<>());

        int outputChannel = channels.get(0);
        for (int level = 0; level < levels; level++) {
            int inputChannel = outputChannel;
            outputChannel = channels.get(level);
            boolean isFinal = level == levels - 1;
            if (config.downBlockTypes().get(level).equals(UNet2DConditionConfig.CROSS_ATTN_DOWN_BLOCK)) {
                downBlocks.add(new CrossAttnDownBlock2D(manager, inputChannel, outputChannel, tembChannels,
                        config.layersPerBlock().get(level), config.transformerLayersPerBlock().get(level), eps, groups,
                        dropout, act, config.numAttentionHeads().get(level), config.crossAttentionDim().get(level),
                        !isFinal, config.downsamplePadding(), config.useLinearProjection(),
                        config.onlyCrossAttention().get(level), config.upcastAttention()));
            } else {
                downBlocks.add(new DownBlock2D(manager, inputChannel, outputChannel, tembChannels,
                        config.layersPerBlock().get(level), eps, groups, dropout, act, !isFinal,
                        config.downsamplePadding()));
            }
        }

        int last = levels - 1;
        this.midBlock = config.midBlockType() == null ? null : registerModule("mid_block",
                new UNetMidBlock2DCrossAttn(manager, channels.get(last), tembChannels, 1,
                        config.transformerLayersPerBlock().get(last), eps, groups, dropout, act,
                        (float) config.midBlockScaleFactor(), config.numAttentionHeads().get(last),
                        config.crossAttentionDim().get(last), config.useLinearProjection(), config.upcastAttention()));

        // Up block i works at level (levels - 1 - i): every per-level list is read reversed.
        outputChannel = channels.get(last);
        for (int i = 0; i < levels; i++) {
            int level = last - i;
            boolean isFinal = i == levels - 1;
            int prevOutputChannel = outputChannel;
            outputChannel = channels.get(level);
            int inputChannel = channels.get(Math.max(level - 1, 0));
            int numLayers = config.layersPerBlock().get(level) + 1;
            if (config.upBlockTypes().get(i).equals(UNet2DConditionConfig.CROSS_ATTN_UP_BLOCK)) {
                upBlocks.add(new CrossAttnUpBlock2D(manager, inputChannel, prevOutputChannel, outputChannel,
                        tembChannels, numLayers, config.transformerLayersPerBlock().get(level), eps, groups, dropout,
                        act, config.numAttentionHeads().get(level), config.crossAttentionDim().get(level), !isFinal,
                        config.useLinearProjection(), config.onlyCrossAttention().get(level),
                        config.upcastAttention()));
            } else {
                upBlocks.add(new UpBlock2D(manager, inputChannel, prevOutputChannel, outputChannel, tembChannels,
                        numLayers, eps, groups, dropout, act, !isFinal));
            }
        }

        this.convNormOut = registerModule("conv_norm_out", new GroupNorm(manager, groups, channels.get(0), eps));
        int convOutPadding = (config.convOutKernel() - 1) / 2;
        this.convOut = registerModule("conv_out",
                new Conv2d(manager, channels.get(0), config.outChannels(), config.convOutKernel(), 1, convOutPadding));
    }

    /**
     * Predicts the model output for a noisy {@code sample}. Every intermediate array is created in
     * the manager of {@code sample}; close a sub-manager around the call to free them.
     *
     * @param sample (B, in_channels, H, W) in the model's compute type
     * @param timesteps (B) or a scalar (broadcast to the batch), integer or float
     * @param encoderHiddenStates (B, L, cross_attention_dim) in the model's compute type
     * @return (B, out_channels, H, W)
     */
    public NDArray forward(NDArray sample, NDArray timesteps, NDArray encoderHiddenStates) {
        Shape sampleShape = sample.getShape();
        if (sampleShape.dimension() != 4 || sampleShape.get(1) != config.inChannels()) {
            throw new IllegalArgumentException("sample must be (B, " + config.inChannels() + ", H, W), got " + sampleShape);
        }
        long batch = sampleShape.get(0);
        Shape contextShape = encoderHiddenStates.getShape();
        if (contextShape.dimension() != 3 || contextShape.get(0) != batch) {
            throw new IllegalArgumentException("encoder hidden states must be (" + batch + ", L, D), got " + contextShape);
        }
        // The upsamplers must hit the skip sizes exactly when H or W is not a multiple of 2^(levels-1).
        long overallUpFactor = 1L << (config.levels() - 1);
        boolean forwardUpsampleSize = sampleShape.get(2) % overallUpFactor != 0 || sampleShape.get(3) % overallUpFactor != 0;

        // 0. center input if necessary
        if (config.centerInputSample()) {
            sample = Scalars.mul(sample, 2).sub(1f);
        }

        // Timesteps and text embeddings are often made once, outside the step's manager (cached
        // prompts, a shared schedule); handles on them in the sample's manager keep every array
        // derived from them (time embedding, attention keys and values) in the step's scope.
        NDManager step = sample.getManager();
        timesteps = broadcastTimesteps(viewIn(timesteps, step), batch);                      // (B)
        encoderHiddenStates = viewIn(encoderHiddenStates, step);                             // (B, L, D)

        // 1. time
        NDArray timeEmbeddingInput = timeProj.forward(timesteps);                            // (B, timeProjDim) float32
        timeEmbeddingInput = timeEmbeddingInput.toType(sample.getDataType(), false);
        NDArray emb = timeEmbedding.forward(timeEmbeddingInput);                             // (B, T)

        // 2. pre-process
        sample = convIn.forward(sample);                                                     // (B, C0, H, W)

        // 3. down
        List<NDArray> downBlockResSamples = new ArrayList<>();
        downBlockResSamples.add(sample);
        for (UNetDownBlock downBlock : downBlocks) {
            UNetDownBlock.Output out = downBlock.forward(sample, emb, encoderHiddenStates);
            sample = out.hiddenStates();                                                     // (B, C_l, H_l, W_l)
            downBlockResSamples.addAll(out.outputStates());
        }

        // 4. mid
        if (midBlock != null) {
            sample = midBlock.forward(sample, emb, encoderHiddenStates);                     // (B, C_last, H_last, W_last)
        }

        // 5. up
        for (int i = 0; i < upBlocks.size(); i++) {
            UNetUpBlock upBlock = upBlocks.get(i);
            boolean isFinal = i == upBlocks.size() - 1;
            int remaining = downBlockResSamples.size() - upBlock.numResnets();
            List<NDArray> resSamples = new ArrayList<>(downBlockResSamples.subList(remaining, downBlockResSamples.size()));
            downBlockResSamples.subList(remaining, downBlockResSamples.size()).clear();
            Shape upsampleSize = null;
            if (!isFinal && forwardUpsampleSize) {
                Shape skip = downBlockResSamples.get(downBlockResSamples.size() - 1).getShape();
                upsampleSize = new Shape(skip.get(2), skip.get(3));
            }
            sample = upBlock.forward(sample, resSamples, emb, encoderHiddenStates, upsampleSize); // (B, C_l, H_l, W_l)
        }

        // 6. post-process
        sample = convNormOut.forward(sample);
        sample = act.apply(sample);
        return convOut.forward(sample);                                                      // (B, out_channels, H, W)
    }

    /** {@code array} itself when it belongs to {@code manager}, else a view of it that does. */
    private static NDArray viewIn(NDArray array, NDManager manager) {
        if (array.getManager() == manager) {
            return array;
        }
        NDArray view = array.reshape(array.getShape()); // a new handle on the same storage
        view.attach(manager);
        return view;
    }

    /** A scalar or (B) timestep array as (B); other shapes are rejected. */
    private static NDArray broadcastTimesteps(NDArray timesteps, long batch) {
        Shape shape = timesteps.getShape();
        if (shape.dimension() == 0 || (shape.dimension() == 1 && shape.get(0) == 1)) {
            return timesteps.reshape(1).broadcast(batch);
        }
        if (shape.dimension() == 1 && shape.get(0) == batch) {
            return timesteps;
        }
        throw new IllegalArgumentException("timesteps must be a scalar or (" + batch + "), got shape " + shape);
    }

    /**
     * Loads a diffusers UNet folder: {@code config.json} and {@code diffusion_pytorch_model.safetensors},
     * or, when only one variant such as {@code diffusion_pytorch_model.fp16.safetensors} exists, that one.
     *
     * @see #load(Path, NDManager, DataType, String)
     */
    public static UNet2DConditionModel load(Path unetFolder, NDManager manager, DataType computeType)
            throws IOException {
        return load(unetFolder, manager, computeType, null);
    }

    /**
     * Loads a diffusers UNet folder strictly by key name: every parameter must be in the weights
     * file with its exact shape and the file must hold nothing else; otherwise a
     * {@link StateDictMismatchException} naming the file lists every missing key, unexpected key and
     * shape mismatch, and no weight is read. Tensors are read one at a time and converted to
     * {@code computeType}, so loading holds the model plus one tensor, not two models
     * ({@link WeightFiles#load}, the loader of every model).
     *
     * @param variant {@code null} for the default weights file (or the one variant present when it
     *     is the only file), or a diffusers variant name such as {@code "fp16"} for
     *     {@code diffusion_pytorch_model.<variant>.safetensors}
     * @param computeType FLOAT32, FLOAT16 or FLOAT64: the type the parameters are stored and used in
     */
    public static UNet2DConditionModel load(Path unetFolder, NDManager manager, DataType computeType, String variant)
            throws IOException {
        WeightFiles.requireComputeType(computeType);
        Path configFile = unetFolder.resolve(WeightFiles.CONFIG_NAME);
        if (!Files.isRegularFile(configFile)) {
            throw new IllegalArgumentException("no " + WeightFiles.CONFIG_NAME + " in UNet folder " + unetFolder);
        }
        UNet2DConditionConfig config = UNet2DConditionConfig.read(configFile);
        return load(config, WeightFiles.find(unetFolder, WeightFiles.DIFFUSERS_BASE, variant), manager, computeType);
    }

    /**
     * Builds a UNet from {@code config} and loads {@code weightsFile} into it, as
     * {@link #load(Path, NDManager, DataType, String)}.
     */
    public static UNet2DConditionModel load(UNet2DConditionConfig config, Path weightsFile, NDManager manager,
            DataType computeType) throws IOException {
        return WeightFiles.load(() -> new UNet2DConditionModel(manager, config), weightsFile, Set.of(), computeType);
    }

    /**
     * Writes this model as a diffusers UNet folder ({@code config.json} and
     * {@code diffusion_pytorch_model.safetensors}, parameters in their stored type), creating the
     * folder if needed; each file appears atomically.
     */
    public void save(Path unetFolder) throws IOException {
        WeightFiles.save(unetFolder, WeightFiles.DIFFUSERS_BASE, this, config.toJson());
    }

    /** The configuration this model was built from. */
    public UNet2DConditionConfig config() {
        return config;
    }

    /** The down blocks, one per level. */
    public List<UNetDownBlock> downBlocks() {
        return downBlocks.asList();
    }

    /** The up blocks, one per level in reverse. */
    public List<UNetUpBlock> upBlocks() {
        return upBlocks.asList();
    }

    /** The mid block, or {@code null} when the config has none. */
    public UNetMidBlock2DCrossAttn midBlock() {
        return midBlock;
    }

    /** The element type the parameters are stored in. */
    public DataType dataType() {
        return convIn.weight().dataType();
    }
}
