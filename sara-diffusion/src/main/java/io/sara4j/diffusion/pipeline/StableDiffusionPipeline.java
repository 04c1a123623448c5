package io.sara4j.diffusion.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.diffusion.loading.BundledFolders;
import io.sara4j.diffusion.loading.LdmKeyMap;
import io.sara4j.diffusion.loading.SingleFileCheckpoint;
import io.sara4j.diffusion.loading.SingleFileOptions;
import io.sara4j.diffusion.loading.WeightFiles;
import io.sara4j.diffusion.scheduler.PredictionType;
import io.sara4j.diffusion.scheduler.Scheduler;
import io.sara4j.diffusion.scheduler.SchedulerConfig;
import io.sara4j.diffusion.text.ClipTextConfig;
import io.sara4j.diffusion.text.ClipTextModel;
import io.sara4j.diffusion.text.ClipTokenizer;
import io.sara4j.diffusion.unet.UNet2DConditionConfig;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import io.sara4j.diffusion.vae.AutoencoderKL;
import io.sara4j.diffusion.vae.AutoencoderKLConfig;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Text-to-image with classifier-free guidance, and the encoders the training loop needs; mirrors
 * diffusers' {@code StableDiffusionPipeline}.
 *
 * <p>Latent models decode with the VAE (latents = VAE latent × {@code scaling_factor}); a model
 * without a VAE samples directly in pixel space, its UNet taking and returning images in [-1, 1].
 * Guidance (Ho &amp; Salimans 2022): ε̂ = ε(x, ∅) + w·(ε(x, c) − ε(x, ∅)), where ∅ is the negative
 * prompt's embedding.
 */
public final class StableDiffusionPipeline {
    private final UNet2DConditionModel unet;
    private final AutoencoderKL vae;
    private final ClipTextModel textEncoder;
    private final ClipTokenizer tokenizer;
    private final SchedulerConfig schedulerConfig;

    /**
     * Assembles a pipeline from loaded components.
     *
     * @param vae the autoencoder, or {@code null} for a pixel-space model
     */
    public StableDiffusionPipeline(UNet2DConditionModel unet, AutoencoderKL vae, ClipTextModel textEncoder,
            ClipTokenizer tokenizer, SchedulerConfig schedulerConfig) {
        this.unet = Objects.requireNonNull(unet, "unet");
        this.vae = vae;
        this.textEncoder = Objects.requireNonNull(textEncoder, "textEncoder");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.schedulerConfig = Objects.requireNonNull(schedulerConfig, "schedulerConfig");
        int textWidth = textEncoder.config().hiddenSize();
        int crossWidth = unet.config().crossAttentionDim().get(0);
        if (textWidth != crossWidth) {
            throw new IllegalArgumentException("text encoder hidden_size " + textWidth
                    + " does not match the UNet's cross_attention_dim " + crossWidth);
        }
        int sampleChannels = vae == null ? 3 : vae.config().latentChannels();
        if (unet.config().inChannels() != sampleChannels) {
            throw new IllegalArgumentException("the UNet's in_channels " + unet.config().inChannels()
                    + " does not match " + (vae == null ? "RGB pixels (3)" : "the VAE's latent_channels " + sampleChannels));
        }
    }

    /**
     * Loads every component of a diffusers folder in {@code computeType} (FLOAT32 or FLOAT16);
     * a folder whose {@code model_index.json} declares no VAE gives a pixel-space pipeline.
     */
    public static StableDiffusionPipeline load(DiffusersFolder folder, NDManager manager, DataType computeType)
            throws IOException {
        UNet2DConditionModel unet = folder.loadUnet(manager, computeType);
        AutoencoderKL vae = folder.hasVae() ? folder.loadVae(manager, computeType) : null;
        ClipTextModel textEncoder = folder.loadTextEncoder(manager, computeType);
        return new StableDiffusionPipeline(unet, vae, textEncoder, folder.loadTokenizer(), folder.schedulerConfig());
    }

    /**
     * Loads {@code model}: a diffusers folder (with the weights {@code variant}), or a single-file
     * checkpoint in the latent-diffusion layout (see {@link #loadSingleFile}).
     */
    public static StableDiffusionPipeline load(Path model, String variant, SingleFileOptions options, NDManager manager,
            DataType computeType) throws IOException {
        if (SingleFileCheckpoint.isSingleFile(model)) {
            return loadSingleFile(model, options, manager, computeType);
        }
        return load(DiffusersFolder.open(model, variant), manager, computeType);
    }

    /** The default scheduler of a single-file model: SD's DDIM schedule (scaled_linear 0.00085–0.012, 1000 steps). */
    static final String SD_SCHEDULER = """
            {"_class_name": "DDIMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "beta_start": 0.00085, "num_train_timesteps": 1000, "set_alpha_to_one": false,
             "steps_offset": 1, "clip_sample": false, "prediction_type": "epsilon"}
            """;

    /**
     * Loads a single-file checkpoint ({@code .safetensors} in the latent-diffusion layout) in
     * {@code computeType}. Each component config comes from, in order: {@code options.configDir()}'s
     * component folder, the configs sara4j stored in the file's metadata when it wrote it, or
     * inference from the tensor shapes ({@link SingleFileCheckpoint#inferUnet} and siblings). The
     * tokenizer comes from {@code configDir/tokenizer}, else the bundled {@code models/shapes-base}
     * tokenizer when its vocabulary size equals the text encoder's (otherwise the load fails asking
     * for {@code --config}); the scheduler from {@code configDir/scheduler}, the file's metadata, or
     * SD's DDIM schedule. The prediction type is {@code options.predictionType()}, else the
     * scheduler config's when it came from a folder or the metadata, else v_prediction for SD2.x
     * (as diffusers assumes for SD2.x checkpoints: the 768-px v-model) and epsilon for SD1.x.
     */
    public static StableDiffusionPipeline loadSingleFile(Path file, SingleFileOptions options, NDManager manager,
            DataType computeType) throws IOException {
        WeightFiles.requireComputeType(computeType);
        Path configDir = options.configDir();
        try (SingleFileCheckpoint ckpt = SingleFileCheckpoint.open(file)) {
            Map<String, String> meta = ckpt.metadata();
            boolean sd2 = ckpt.textLayout() == SingleFileCheckpoint.TextLayout.OPEN_CLIP;
            String schedulerJson = null;
            if (configDir != null && Files.isRegularFile(configDir.resolve("scheduler/scheduler_config.json"))) {
                schedulerJson = Files.readString(configDir.resolve("scheduler/scheduler_config.json"));
            } else if (meta.containsKey(SingleFileCheckpoint.META_SCHEDULER)) {
                schedulerJson = meta.get(SingleFileCheckpoint.META_SCHEDULER);
            }
            PredictionType prediction = options.predictionType();
            if (schedulerJson == null) {
                schedulerJson = SD_SCHEDULER;
                if (prediction == null) {
                    prediction = sd2 ? PredictionType.V_PREDICTION : PredictionType.EPSILON;
                }
            }
            SchedulerConfig scheduler = SchedulerConfig.fromJson(schedulerJson);
            if (prediction != null) {
                scheduler = withPredictionType(scheduler, prediction);
            }

            UNet2DConditionConfig unetConfig = unetConfig(ckpt, configDir,
                    scheduler.predictionType() == PredictionType.V_PREDICTION);
            AutoencoderKLConfig vaeConfig = configFile(configDir, DiffusersFolder.VAE) != null
                    ? AutoencoderKLConfig.read(configFile(configDir, DiffusersFolder.VAE))
                    : meta.containsKey(SingleFileCheckpoint.META_VAE)
                            ? AutoencoderKLConfig.parse(meta.get(SingleFileCheckpoint.META_VAE), file + " metadata")
                            : ckpt.inferVae();
            ClipTextConfig textConfig = configFile(configDir, DiffusersFolder.TEXT_ENCODER) != null
                    ? ClipTextConfig.read(configFile(configDir, DiffusersFolder.TEXT_ENCODER))
                    : meta.containsKey(SingleFileCheckpoint.META_TEXT)
                            ? ClipTextConfig.parse(meta.get(SingleFileCheckpoint.META_TEXT), file + " metadata")
                            : ckpt.inferText();
            ClipTokenizer tokenizer = singleFileTokenizer(configDir, textConfig);

            UNet2DConditionModel unet = new UNet2DConditionModel(manager, unetConfig);
            AutoencoderKL vae = new AutoencoderKL(manager, vaeConfig);
            ClipTextModel text = new ClipTextModel(manager, textConfig);
            unet.convertTo(computeType);
            vae.convertTo(computeType);
            text.convertTo(computeType);
            ckpt.load(List.of(new SingleFileCheckpoint.Part(unet, LdmKeyMap.unet(unetConfig)),
                    new SingleFileCheckpoint.Part(vae, LdmKeyMap.vae(vaeConfig)),
                    new SingleFileCheckpoint.Part(text, ckpt.textMap(textConfig.numHiddenLayers()))));
            return new StableDiffusionPipeline(unet, vae, text, tokenizer, scheduler);
        }
    }

    /**
     * Loads only the UNet of {@code model} (a diffusers folder with the weights {@code variant}, or
     * a single-file checkpoint: its UNet part, configured as {@link #loadSingleFile} would), for
     * commands that need nothing else (LoRA export, benchmarks). A single file needs no tokenizer here.
     */
    public static UNet2DConditionModel loadUnet(Path model, String variant, SingleFileOptions options,
            NDManager manager, DataType computeType) throws IOException {
        if (!SingleFileCheckpoint.isSingleFile(model)) {
            return DiffusersFolder.open(model, variant).loadUnet(manager, computeType);
        }
        WeightFiles.requireComputeType(computeType);
        try (SingleFileCheckpoint ckpt = SingleFileCheckpoint.open(model)) {
            boolean sd2 = ckpt.textLayout() == SingleFileCheckpoint.TextLayout.OPEN_CLIP;
            PredictionType prediction = options.predictionType() != null ? options.predictionType()
                    : sd2 ? PredictionType.V_PREDICTION : PredictionType.EPSILON;
            UNet2DConditionConfig config = unetConfig(ckpt, options.configDir(), prediction == PredictionType.V_PREDICTION);
            UNet2DConditionModel unet = new UNet2DConditionModel(manager, config);
            unet.convertTo(computeType);
            ckpt.load(List.of(new SingleFileCheckpoint.Part(unet, LdmKeyMap.unet(config))));
            return unet;
        }
    }

    /** The UNet config of {@code model} (a diffusers folder or a single-file checkpoint), without loading weights. */
    public static UNet2DConditionConfig unetConfigOf(Path model, SingleFileOptions options) throws IOException {
        if (!SingleFileCheckpoint.isSingleFile(model)) {
            return UNet2DConditionConfig.read(DiffusersFolder.open(model).unetDir().resolve(WeightFiles.CONFIG_NAME));
        }
        try (SingleFileCheckpoint ckpt = SingleFileCheckpoint.open(model)) {
            boolean sd2 = ckpt.textLayout() == SingleFileCheckpoint.TextLayout.OPEN_CLIP;
            PredictionType prediction = options.predictionType() != null ? options.predictionType()
                    : sd2 ? PredictionType.V_PREDICTION : PredictionType.EPSILON;
            return unetConfig(ckpt, options.configDir(), prediction == PredictionType.V_PREDICTION);
        }
    }

    /** A single file's UNet config: from {@code configDir}, else the file's metadata, else inferred from the tensors. */
    private static UNet2DConditionConfig unetConfig(SingleFileCheckpoint ckpt, Path configDir, boolean vPrediction)
            throws IOException {
        Path file = configFile(configDir, DiffusersFolder.UNET);
        if (file != null) {
            return UNet2DConditionConfig.read(file);
        }
        String fromMetadata = ckpt.metadata().get(SingleFileCheckpoint.META_UNET);
        return fromMetadata != null ? UNet2DConditionConfig.parse(fromMetadata) : ckpt.inferUnet(vPrediction);
    }

    /** This pipeline (the same components) with the scheduler config's {@code prediction_type} replaced. */
    public StableDiffusionPipeline withPredictionType(PredictionType type) {
        return new StableDiffusionPipeline(unet, vae, textEncoder, tokenizer, withPredictionType(schedulerConfig, type));
    }

    private static SchedulerConfig withPredictionType(SchedulerConfig config, PredictionType type) {
        try {
            ObjectNode node = (ObjectNode) new ObjectMapper().readTree(config.toJson());
            node.put("prediction_type", type.toString());
            return SchedulerConfig.fromJson(node.toString());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("scheduler config JSON could not be re-read", e);
        }
    }

    private static Path configFile(Path configDir, String component) {
        if (configDir == null) {
            return null;
        }
        Path config = configDir.resolve(component).resolve(WeightFiles.CONFIG_NAME);
        return Files.isRegularFile(config) ? config : null;
    }

    private static ClipTokenizer singleFileTokenizer(Path configDir, ClipTextConfig text) throws IOException {
        if (configDir != null && Files.isRegularFile(configDir.resolve("tokenizer/vocab.json"))) {
            return ClipTokenizer.load(configDir.resolve(DiffusersFolder.TOKENIZER));
        }
        Path bundled = BundledFolders.find(Path.of("models", "shapes-base", "tokenizer"), "vocab.json",
                "the bundled tokenizer");
        ClipTokenizer tokenizer = ClipTokenizer.load(bundled);
        if (tokenizer.vocabSize() > text.vocabSize()) {
            throw new IllegalArgumentException("the single-file checkpoint's text encoder has " + text.vocabSize()
                    + " token ids but the bundled tokenizer (" + bundled + ") has " + tokenizer.vocabSize()
                    + "; pass --config with a diffusers folder of the same base model (its tokenizer/ is used)");
        }
        if (tokenizer.vocabSize() < text.vocabSize()) {
            throw new IllegalArgumentException("the single-file checkpoint's text encoder has " + text.vocabSize()
                    + " token ids (a CLIP vocabulary sara4j does not bundle); pass --config with a diffusers folder"
                    + " of the same base model (for example stable-diffusion-v1-5), whose tokenizer/ is used");
        }
        return tokenizer;
    }

    /**
     * Writes the pipeline as one {@code .safetensors} file in the latent-diffusion layout (the format
     * of AUTOMATIC1111, ComfyUI and kohya-ss; SD1.x CLIP or SD2.x OpenCLIP keys as {@code openClip}
     * says), atomically. The component and scheduler configs go into the file's metadata, so sara4j
     * loads the file back to the same architecture. With {@code source} (the single file the
     * pipeline was loaded from), tensors keep that file's storage types and its extra tensors are
     * carried over (see {@link SingleFileCheckpoint#write}); unchanged tensors come back bit for bit.
     *
     * @throws IllegalArgumentException for a pixel-space pipeline (the layout has a VAE)
     */
    public void saveSingleFile(Path out, boolean openClip, Path source) throws IOException {
        if (vae == null) {
            throw new IllegalArgumentException("a pixel-space model (no VAE) cannot be written as a single-file"
                    + " Stable Diffusion checkpoint; write a diffusers folder instead");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(SingleFileCheckpoint.META_UNET, unet.config().toJson());
        meta.put(SingleFileCheckpoint.META_VAE, vae.config().toJson());
        meta.put(SingleFileCheckpoint.META_TEXT, textEncoder.config().toJson());
        meta.put(SingleFileCheckpoint.META_SCHEDULER, schedulerConfig.toJson());
        int layers = textEncoder.config().numHiddenLayers();
        List<SingleFileCheckpoint.Part> parts = List.of(
                new SingleFileCheckpoint.Part(unet, LdmKeyMap.unet(unet.config())),
                new SingleFileCheckpoint.Part(vae, LdmKeyMap.vae(vae.config())),
                new SingleFileCheckpoint.Part(textEncoder, openClip ? LdmKeyMap.openClip(layers) : LdmKeyMap.clip()));
        if (source == null) {
            SingleFileCheckpoint.write(out, parts, meta, null);
        } else {
            try (SingleFileCheckpoint from = SingleFileCheckpoint.open(source)) {
                SingleFileCheckpoint.write(out, parts, meta, from);
            }
        }
    }

    /**
     * Writes the pipeline as a diffusers folder at {@code root} (which must not exist yet): the
     * components' configs and float32-or-current-type weights, the tokenizer files and the scheduler
     * config, plus {@code model_index.json}. Everything is written into a temporary sibling folder
     * that is renamed into place at the end, so {@code root} appears complete or not at all.
     */
    public void save(Path root) throws IOException {
        Path target = root.toAbsolutePath().normalize();
        if (Files.exists(target)) {
            throw new IllegalArgumentException(target + ": already exists; choose a new output folder");
        }
        Files.createDirectories(target.getParent());
        Path staging = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".partial-");
        try {
            unet.save(staging.resolve(DiffusersFolder.UNET));
            if (vae != null) {
                vae.save(staging.resolve(DiffusersFolder.VAE));
            }
            textEncoder.save(staging.resolve(DiffusersFolder.TEXT_ENCODER));
            tokenizer.save(staging.resolve(DiffusersFolder.TOKENIZER));
            Path scheduler = Files.createDirectories(staging.resolve(DiffusersFolder.SCHEDULER));
            AtomicFiles.writeString(scheduler.resolve("scheduler_config.json"), schedulerConfig.toJson());
            AtomicFiles.writeString(staging.resolve("model_index.json"), modelIndexJson());
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            AtomicFiles.deleteRecursively(staging);
            throw e;
        }
    }

    private String modelIndexJson() {
        String schedulerClass = schedulerConfig.className() == null ? "DDIMScheduler" : schedulerConfig.className();
        return "{\n"
                + "  \"_class_name\": \"StableDiffusionPipeline\",\n"
                + "  \"_diffusers_version\": \"0.27.2\",\n"
                + "  \"scheduler\": [\"diffusers\", \"" + schedulerClass + "\"],\n"
                + "  \"text_encoder\": [\"transformers\", \"CLIPTextModel\"],\n"
                + "  \"tokenizer\": [\"transformers\", \"CLIPTokenizer\"],\n"
                + "  \"unet\": [\"diffusers\", \"UNet2DConditionModel\"],\n"
                + "  \"vae\": " + (vae == null ? "[null, null]" : "[\"diffusers\", \"AutoencoderKL\"]") + "\n"
                + "}\n";
    }

    /** The prompt embeddings (B, 77, D): the text encoder's last hidden state. */
    public NDArray encodePrompts(NDManager manager, List<String> prompts) {
        NDArray ids = tokenizer.encodeBatch(manager, prompts); // (B, 77)
        return textEncoder.forward(ids).lastHiddenState();
    }

    /**
     * Maps images (N, 3, H, W) in [-1, 1] to what the UNet is trained on: VAE latents (a sample of
     * the posterior, drawn from {@code random}) times the scaling factor, or the images themselves
     * for a pixel-space model.
     */
    public NDArray encodeImages(NDArray images, SeededNoise random) {
        if (vae == null) {
            return images;
        }
        var posterior = vae.encode(images);
        NDArray noise = random.normal(images.getManager(), posterior.mean().getShape());
        return posterior.sample(noise).mul((float) vae.config().scalingFactor());
    }

    /** Maps UNet samples back to images (N, 3, H, W) in [-1, 1] (not clamped). */
    public NDArray decodeSamples(NDArray samples) {
        if (vae == null) {
            return samples;
        }
        return vae.decode(samples.div((float) vae.config().scalingFactor()));
    }

    /**
     * The image side the model was trained at: the UNet's {@code sample_size} times the VAE's
     * downscale factor (64 × 8 = 512 for SD1.x); 512 when the config does not say.
     */
    public int defaultImageSize() {
        List<Integer> size = unet.config().sampleSize();
        return size.isEmpty() ? 512 : size.get(0) * downscaleFactor();
    }

    /** Pixels per latent cell along each side (1 without a VAE). */
    public int downscaleFactor() {
        return vae == null ? 1 : 1 << (vae.config().blockOutChannels().size() - 1);
    }

    /**
     * Runs the sampler and returns images (N, 3, H, W) in [-1, 1], in {@code manager}. Each step's
     * temporaries are closed as the loop goes, so memory stays flat over the steps.
     */
    public NDArray generate(NDManager manager, GenerationRequest request) {
        int f = downscaleFactor();
        if (request.height() % f != 0 || request.width() % f != 0) {
            throw new IllegalArgumentException("height and width must be multiples of " + f + ", got "
                    + request.height() + "x" + request.width());
        }
        SeededNoise random = new SeededNoise(request.seed());
        Scheduler scheduler = request.sampler().create(schedulerConfig);
        scheduler.setTimesteps(request.steps());
        int n = request.numImages();
        NDArray context = promptContext(manager, request); // (n or 2n, 77, D)
        Shape sampleShape = new Shape(n, unet.config().inChannels(), request.height() / f, request.width() / f);
        NDArray sample = random.normal(manager, sampleShape).mul((float) scheduler.initNoiseSigma());
        for (double t : scheduler.timesteps()) {
            try (NDScope scope = new NDScope()) {
                NDArray guided = guidedPrediction(scheduler, sample, t, context, request);
                NDArray next = scheduler.step(guided, t, sample, random::normal).prevSample();
                NDScope.unregister(next);
                sample.close(); // the previous step's sample is no longer needed
                sample = next;
            }
        }
        try (NDScope scope = new NDScope()) {
            NDArray images = decodeSamples(sample);
            NDScope.unregister(images);
            return images;
        }
    }

    /** The UNet's prediction at (sample, t), guided when the request asks for it. */
    private NDArray guidedPrediction(Scheduler scheduler, NDArray sample, double t, NDArray context,
            GenerationRequest request) {
        NDArray input = scheduler.scaleModelInput(sample, t);
        int copies = request.guided() ? 2 : 1;
        NDArray batch = copies == 2 ? NDArrays.concat(new ai.djl.ndarray.NDList(input, input)) : input;
        NDArray timesteps = sample.getManager().full(new Shape(batch.getShape().get(0)), (float) t, DataType.FLOAT32);
        NDArray prediction = unet.forward(batch, timesteps, context); // (copies·n, C, h, w)
        if (copies == 1) {
            return prediction;
        }
        long n = sample.getShape().get(0);
        NDArray unconditional = prediction.get("0:{}", n);
        NDArray conditional = prediction.get("{}:", n);
        return unconditional.add(conditional.sub(unconditional).mul((float) request.guidanceScale()));
    }

    /** [negative × n; prompt × n] with guidance, [prompt × n] without. */
    private NDArray promptContext(NDManager manager, GenerationRequest request) {
        List<String> prompts = new ArrayList<>();
        if (request.guided()) {
            prompts.addAll(Collections.nCopies(request.numImages(), request.negativePrompt()));
        }
        prompts.addAll(Collections.nCopies(request.numImages(), request.prompt()));
        return encodePrompts(manager, prompts);
    }

    /** Runs {@link #generate} and converts the result to RGB images. */
    public List<BufferedImage> generateImages(NDManager manager, GenerationRequest request) {
        try (NDManager run = manager.newSubManager()) {
            NDArray images = generate(run, request);
            List<BufferedImage> out = new ArrayList<>();
            for (int i = 0; i < images.getShape().get(0); i++) {
                out.add(Images.toImage(images.get(i)));
            }
            return out;
        }
    }

    /** The denoising network as the training objective sees it. */
    public Denoiser denoiser() {
        return unet::forward;
    }

    /** The UNet (the model fine-tuned by SaRA). */
    public UNet2DConditionModel unet() {
        return unet;
    }

    /** The autoencoder, or {@code null} for a pixel-space model. */
    public AutoencoderKL vae() {
        return vae;
    }

    /** The text encoder. */
    public ClipTextModel textEncoder() {
        return textEncoder;
    }

    /** The tokenizer. */
    public ClipTokenizer tokenizer() {
        return tokenizer;
    }

    /** The scheduler configuration (training noise schedule and samplers). */
    public SchedulerConfig schedulerConfig() {
        return schedulerConfig;
    }
}
