package io.sara4j.diffusion.pipeline;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.diffusion.loading.WeightFiles;
import io.sara4j.diffusion.scheduler.SchedulerConfig;
import io.sara4j.diffusion.text.ClipTextConfig;
import io.sara4j.diffusion.text.ClipTextModel;
import io.sara4j.diffusion.text.ClipTokenizer;
import io.sara4j.diffusion.unet.UNet2DConditionConfig;
import io.sara4j.diffusion.unet.UNet2DConditionModel;
import io.sara4j.diffusion.vae.AutoencoderKL;
import io.sara4j.diffusion.vae.AutoencoderKLConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A diffusers-format model folder (what {@code save_pretrained} of a Stable Diffusion pipeline
 * writes): {@code model_index.json} naming one component class per subfolder, and the
 * subfolders {@code unet/}, {@code vae/} (absent for a pixel-space model), {@code text_encoder/},
 * {@code tokenizer/}, {@code scheduler/}.
 *
 * <p>{@link #open} checks the whole layout at once and reports every problem in one error: each
 * declared component must be a supported class, its subfolder must exist with its config (and
 * tokenizer files), and each model must have a safetensors weights file ({@code *.safetensors},
 * or the chosen variant such as {@code *.fp16.safetensors}); pickle files are refused. Components
 * sara4j does not use ({@code safety_checker}, {@code feature_extractor}) are logged and skipped.
 * Components are then loaded by name: {@link #loadUnet}, {@link #loadTextEncoder}, {@link #loadVae}
 * (in a requested compute type), {@link #loadTokenizer}, {@link #schedulerConfig}.
 */
public final class DiffusersFolder {
    private static final Logger LOG = LoggerFactory.getLogger(DiffusersFolder.class);

    /** model_index.json key of the denoiser. */
    public static final String UNET = "unet";
    /** model_index.json key of the autoencoder. */
    public static final String VAE = "vae";
    /** model_index.json key of the text encoder. */
    public static final String TEXT_ENCODER = "text_encoder";
    /** model_index.json key of the tokenizer. */
    public static final String TOKENIZER = "tokenizer";
    /** model_index.json key of the noise scheduler. */
    public static final String SCHEDULER = "scheduler";

    private static final List<String> REQUIRED = List.of(UNET, TEXT_ENCODER, TOKENIZER, SCHEDULER);
    private static final Set<String> IGNORED = Set.of("safety_checker", "feature_extractor", "image_encoder");

    /**
     * One {@code model_index.json} entry: {@code "vae": ["diffusers", "AutoencoderKL"]}.
     *
     * @param name the key, which is also the subfolder name
     * @param library the Python library that defines the class
     * @param className the component's class
     */
    public record Component(String name, String library, String className) {}

    private final Path root;
    private final String pipelineClass;
    private final Map<String, Component> components;
    private final String variant;
    private final Map<String, Path> weights;

    private DiffusersFolder(Path root, String pipelineClass, Map<String, Component> components, String variant,
            Map<String, Path> weights) {
        this.root = root;
        this.pipelineClass = pipelineClass;
        this.components = Collections.unmodifiableMap(components);
        this.variant = variant;
        this.weights = Map.copyOf(weights);
    }

    /** Opens {@code root} using the plain weights files (or the single variant present). */
    public static DiffusersFolder open(Path root) throws IOException {
        return open(root, null);
    }

    /**
     * Opens and validates {@code root}.
     *
     * @param variant weights variant to use for every model ({@code "fp16"} selects
     *     {@code *.fp16.safetensors}), or {@code null} for the plain files
     * @throws IllegalArgumentException listing every problem with the folder
     */
    public static DiffusersFolder open(Path root, String variant) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException(root + ": not a directory (expected a diffusers model folder)");
        }
        Path index = root.resolve("model_index.json");
        if (!Files.isRegularFile(index)) {
            throw new IllegalArgumentException(root + ": not a diffusers model folder: model_index.json is missing"
                    + " (a diffusers pipeline folder has model_index.json beside unet/, vae/, text_encoder/,"
                    + " tokenizer/ and scheduler/)");
        }
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(Files.readString(index));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(index + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException(index + ": expected a JSON object");
        }
        List<String> problems = new ArrayList<>();
        Map<String, Component> components = parseComponents(json, index, problems);
        for (String required : REQUIRED) {
            if (!components.containsKey(required)) {
                problems.add("model_index.json declares no '" + required + "' component");
            }
        }
        checkClass(components.get(UNET), "diffusers", List.of("UNet2DConditionModel"), problems);
        checkClass(components.get(VAE), "diffusers", List.of("AutoencoderKL"), problems);
        checkClass(components.get(TEXT_ENCODER), "transformers", List.of("CLIPTextModel"), problems);
        checkClass(components.get(TOKENIZER), "transformers", List.of("CLIPTokenizer", "CLIPTokenizerFast"), problems);
        Component scheduler = components.get(SCHEDULER);
        if (scheduler != null && !scheduler.className().endsWith("Scheduler")) {
            problems.add("model_index.json: scheduler class '" + scheduler.className()
                    + "' is not a diffusers scheduler (expected a class named *Scheduler)");
        }

        Map<String, Path> weights = new LinkedHashMap<>();
        for (Component c : components.values()) {
            Path dir = root.resolve(c.name());
            if (!Files.isDirectory(dir)) {
                problems.add(dir + ": missing; model_index.json declares " + c.name() + " = " + c.className());
                continue;
            }
            for (String file : requiredFiles(c.name())) {
                if (!Files.isRegularFile(dir.resolve(file))) {
                    problems.add(dir.resolve(file) + ": missing (" + c.className() + " needs it)");
                }
            }
            String base = weightsBase(c.name());
            if (base != null) {
                try {
                    weights.put(c.name(), WeightFiles.find(dir, base, variant));
                } catch (IllegalArgumentException e) {
                    problems.add(e.getMessage());
                }
            }
        }
        if (!problems.isEmpty()) {
            StringBuilder msg = new StringBuilder(root + ": not a usable diffusers model folder; ")
                    .append(problems.size()).append(problems.size() == 1 ? " problem:" : " problems:");
            problems.forEach(p -> msg.append("\n  ").append(p));
            throw new IllegalArgumentException(msg.toString());
        }
        String pipelineClass = json.path("_class_name").asText("");
        LOG.info("{}: {} with {}{}", root, pipelineClass.isEmpty() ? "diffusers pipeline" : pipelineClass,
                components.keySet(), variant == null ? "" : " (variant " + variant + ")");
        return new DiffusersFolder(root, pipelineClass, components, variant, weights);
    }

    private static Map<String, Component> parseComponents(JsonNode json, Path index, List<String> problems) {
        Map<String, Component> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : json.properties()) {
            String name = e.getKey();
            JsonNode value = e.getValue();
            if (name.startsWith("_") || !value.isArray()) {
                continue; // bookkeeping (_class_name, _diffusers_version) and pipeline options
            }
            if (value.size() != 2) {
                problems.add(index + ": '" + name + "' must be [library, class], found " + value);
                continue;
            }
            if (value.get(0).isNull() && value.get(1).isNull()) {
                continue; // [null, null]: the pipeline was saved without this component
            }
            if (IGNORED.contains(name)) {
                LOG.info("{}: component '{}' ({}) is not used by sara4j", index.getParent(), name,
                        value.get(1).asText());
                continue;
            }
            if (!value.get(0).isTextual() || !value.get(1).isTextual()) {
                problems.add(index + ": '" + name + "' must be [library, class] strings, found " + value);
                continue;
            }
            out.put(name, new Component(name, value.get(0).asText(), value.get(1).asText()));
        }
        return out;
    }

    private static void checkClass(Component c, String library, List<String> classes, List<String> problems) {
        if (c != null && !classes.contains(c.className())) {
            problems.add("model_index.json: unsupported class '" + c.className() + "' for '" + c.name()
                    + "' (supported: " + String.join(", ", classes) + " from " + library + ")");
        }
    }

    private static List<String> requiredFiles(String component) {
        return switch (component) {
            case UNET, VAE, TEXT_ENCODER -> List.of(WeightFiles.CONFIG_NAME);
            case TOKENIZER -> List.of("vocab.json", "merges.txt");
            case SCHEDULER -> List.of("scheduler_config.json");
            default -> List.of();
        };
    }

    private static String weightsBase(String component) {
        return switch (component) {
            case UNET, VAE -> WeightFiles.DIFFUSERS_BASE;
            case TEXT_ENCODER -> WeightFiles.TRANSFORMERS_BASE;
            default -> null;
        };
    }

    /** The folder. */
    public Path root() {
        return root;
    }

    /** The pipeline class of model_index.json ({@code StableDiffusionPipeline}), or "" if absent. */
    public String pipelineClass() {
        return pipelineClass;
    }

    /** The weights variant in use, if one was requested. */
    public Optional<String> variant() {
        return Optional.ofNullable(variant);
    }

    /** The components sara4j uses, by model_index.json key, in file order. */
    public Map<String, Component> components() {
        return components;
    }

    /** Whether the model has a VAE; a pixel-space model has none. */
    public boolean hasVae() {
        return components.containsKey(VAE);
    }

    /** {@code unet/}. */
    public Path unetDir() {
        return root.resolve(UNET);
    }

    /** {@code text_encoder/}. */
    public Path textEncoderDir() {
        return root.resolve(TEXT_ENCODER);
    }

    /** {@code tokenizer/}. */
    public Path tokenizerDir() {
        return root.resolve(TOKENIZER);
    }

    /** {@code scheduler/}. */
    public Path schedulerDir() {
        return root.resolve(SCHEDULER);
    }

    /**
     * {@code vae/}.
     *
     * @throws IllegalStateException for a pixel-space model; check {@link #hasVae()} first
     */
    public Path vaeDir() {
        requireVae();
        return root.resolve(VAE);
    }

    /**
     * The safetensors weights file chosen for a model component ({@link #UNET}, {@link #VAE},
     * {@link #TEXT_ENCODER}).
     *
     * @throws IllegalArgumentException for a component without weights or not in this folder
     */
    public Path weightsFile(String component) {
        Path file = weights.get(component);
        if (file == null) {
            throw new IllegalArgumentException(root + ": no weights for component '" + component
                    + "' (models with weights here: " + weights.keySet() + ")");
        }
        return file;
    }

    /** The UNet in float32. */
    public UNet2DConditionModel loadUnet(NDManager manager) throws IOException {
        return loadUnet(manager, DataType.FLOAT32);
    }

    /**
     * The UNet from {@code unet/} with this folder's weights variant, computing in
     * {@code computeType} (FLOAT32, FLOAT16 or FLOAT64; stored weights of any float type are converted).
     */
    public UNet2DConditionModel loadUnet(NDManager manager, DataType computeType) throws IOException {
        UNet2DConditionConfig config = UNet2DConditionConfig.read(unetDir().resolve(WeightFiles.CONFIG_NAME));
        return UNet2DConditionModel.load(config, weightsFile(UNET), manager, computeType);
    }

    /** The CLIP tokenizer from {@code tokenizer/}. */
    public ClipTokenizer loadTokenizer() throws IOException {
        return ClipTokenizer.load(tokenizerDir());
    }

    /**
     * The noise schedule of {@code scheduler/scheduler_config.json}; the caller picks the sampler
     * built from it (DDPM for training, DDIM or Euler for sampling), as diffusers pipelines allow
     * any scheduler to be configured from another's config.
     */
    public SchedulerConfig schedulerConfig() throws IOException {
        return SchedulerConfig.load(schedulerDir().resolve("scheduler_config.json"));
    }

    /** The text encoder in float32. */
    public ClipTextModel loadTextEncoder(NDManager manager) throws IOException {
        return loadTextEncoder(manager, DataType.FLOAT32);
    }

    /**
     * The text encoder from {@code text_encoder/}, computing in {@code computeType} (FLOAT32,
     * FLOAT16 or FLOAT64; stored weights of any float type are converted).
     */
    public ClipTextModel loadTextEncoder(NDManager manager, DataType computeType) throws IOException {
        ClipTextConfig config = ClipTextConfig.read(textEncoderDir().resolve(WeightFiles.CONFIG_NAME));
        return ClipTextModel.load(config, weightsFile(TEXT_ENCODER), manager, computeType);
    }

    /** The VAE in float32. */
    public AutoencoderKL loadVae(NDManager manager) throws IOException {
        return loadVae(manager, DataType.FLOAT32);
    }

    /**
     * The VAE from {@code vae/}, computing in {@code computeType} (FLOAT32, FLOAT16 or FLOAT64;
     * diffusers pipelines keep SD VAEs in float32, {@code force_upcast}).
     *
     * @throws IllegalStateException for a pixel-space model; check {@link #hasVae()} first
     */
    public AutoencoderKL loadVae(NDManager manager, DataType computeType) throws IOException {
        requireVae();
        AutoencoderKLConfig config = AutoencoderKLConfig.read(vaeDir().resolve(WeightFiles.CONFIG_NAME));
        return AutoencoderKL.load(config, weightsFile(VAE), manager, computeType);
    }

    private void requireVae() {
        if (!hasVae()) {
            throw new IllegalStateException(root + " has no VAE (a pixel-space model): check hasVae() before"
                    + " asking for it");
        }
    }
}
