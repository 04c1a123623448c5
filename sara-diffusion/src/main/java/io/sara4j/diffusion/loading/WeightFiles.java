package io.sara4j.diffusion.loading;

import ai.djl.ndarray.types.DataType;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.io.StateDictLoader;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.StateDictMismatchException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The weights of a diffusers/transformers component folder ({@code unet/}, {@code vae/},
 * {@code text_encoder/}): finds the file, loads it strictly into a model (through core's
 * {@link StateDictLoader}, the one loader of every model), and writes model folders back.
 *
 * <p>The libraries name it {@code <base>.safetensors} ({@code diffusion_pytorch_model} for diffusers
 * models, {@code model} for transformers models), with optional variants such as
 * {@code <base>.fp16.safetensors}. Only safetensors are ever read: pickle-based files
 * ({@code .bin}, {@code .ckpt}, {@code .pt}, {@code .pth}) can run code when unpickled, so a folder
 * that has only those is refused with a message saying how to convert it.
 */
public final class WeightFiles {
    private static final Logger LOG = LoggerFactory.getLogger(WeightFiles.class);
    private static final List<String> PICKLE_SUFFIXES = List.of(".bin", ".ckpt", ".pt", ".pth");

    /** diffusers' weights base name (unet/, vae/). */
    public static final String DIFFUSERS_BASE = "diffusion_pytorch_model";
    /** transformers' weights base name (text_encoder/). */
    public static final String TRANSFORMERS_BASE = "model";
    /** The config file of every model folder. */
    public static final String CONFIG_NAME = "config.json";

    private WeightFiles() {}

    /**
     * The weights file of {@code folder}.
     *
     * <ul>
     *   <li>With a {@code variant} ("fp16"): {@code <base>.<variant>.safetensors}, required.
     *   <li>Without: {@code <base>.safetensors}; if absent, the one variant file
     *       {@code <base>.<v>.safetensors} present (logged); several variants are ambiguous.
     * </ul>
     *
     * @param variant a variant name, or {@code null}
     * @throws IllegalArgumentException naming the folder, the file names looked for and the files
     *     found, with advice for pickle-only, sharded or ambiguous folders
     */
    public static Path find(Path folder, String base, String variant) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException(folder + ": not a directory (expected a model folder holding "
                    + base + ".safetensors)");
        }
        List<String> names = listNames(folder);
        String plain = base + ".safetensors";
        if (variant != null) {
            String wanted = base + "." + variant + ".safetensors";
            if (names.contains(wanted)) {
                return folder.resolve(wanted);
            }
            throw notFound(folder, base, names, "expected " + wanted + " (variant '" + variant + "')");
        }
        if (names.contains(plain)) {
            return folder.resolve(plain);
        }
        List<String> variants = names.stream()
                .filter(n -> n.startsWith(base + ".") && n.endsWith(".safetensors") && n.length() > plain.length())
                .filter(n -> !n.substring(base.length() + 1, n.length() - ".safetensors".length()).contains("."))
                .toList();
        if (variants.size() == 1) {
            LOG.info("{}: no {}, using the variant {}", folder, plain, variants.get(0));
            return folder.resolve(variants.get(0));
        }
        if (variants.size() > 1) {
            throw new IllegalArgumentException(folder + ": no " + plain + " and several variants " + variants
                    + "; choose one by its variant name (for example \"fp16\")");
        }
        throw notFound(folder, base, names, "expected " + plain + " or " + base + ".<variant>.safetensors");
    }

    private static IllegalArgumentException notFound(Path folder, String base, List<String> names, String expected) {
        List<String> pickles = names.stream().filter(WeightFiles::isPickle).toList();
        StringBuilder msg = new StringBuilder(folder.toString()).append(": no weights file; ").append(expected)
                .append(", found ").append(names.isEmpty() ? "an empty folder" : names.toString());
        if (!pickles.isEmpty()) {
            msg.append(". ").append(pickles).append(" are pickle files, which sara4j never reads because unpickling"
                    + " can run arbitrary code; convert them to safetensors once with the Python libraries"
                    + " (load the model, then save_pretrained(folder, safe_serialization=True))");
        }
        if (names.contains(base + ".safetensors.index.json")) {
            msg.append(". Sharded weights (").append(base).append(".safetensors.index.json) are not supported;"
                    + " save the component as a single file");
        }
        return new IllegalArgumentException(msg.toString());
    }

    /**
     * Builds a model, converts it to {@code computeType} and loads {@code weightsFile} into it with
     * core's strict streaming loader ({@link StateDictLoader}): the key sets must be equal (apart
     * from {@code ignoredKeys}, tensors the file may hold that carry no weights) and every shape
     * must match, all checked from the header before any tensor is read; tensors are then read one
     * at a time (peak memory: the model plus one tensor), converted to the compute type. The compute
     * type is checked before the model is built.
     *
     * @param model builds the model with fresh weights (its constructor)
     * @param computeType FLOAT32, FLOAT16 or FLOAT64 (see {@link #requireComputeType})
     * @throws StateDictMismatchException naming the file and listing every missing key, unexpected
     *     key and shape mismatch
     */
    public static <M extends Module> M load(Supplier<M> model, Path weightsFile, Set<String> ignoredKeys,
            DataType computeType) throws IOException {
        requireComputeType(computeType);
        M built = model.get();
        built.convertTo(computeType);
        StateDictLoader.loadStrict(built, weightsFile, ignoredKeys);
        LOG.info("loaded {} ({} parameters, {}) from {}", built.getClass().getSimpleName(), built.parameterCount(),
                computeType, weightsFile);
        return built;
    }

    /**
     * Writes {@code model} as a component folder the Python libraries load: {@code config.json}
     * ({@code configJson}) and {@code <base>.safetensors} (parameters in their stored type, metadata
     * {@code format: pt} as {@code save_pretrained} writes). Creates the folder if needed; each file
     * appears atomically.
     *
     * @param base {@link #DIFFUSERS_BASE} or {@link #TRANSFORMERS_BASE}
     */
    public static void save(Path folder, String base, Module model, String configJson) throws IOException {
        Files.createDirectories(folder);
        SafetensorsWriter.write(folder.resolve(base + ".safetensors"), model.stateDict(), Map.of("format", "pt"));
        AtomicFiles.writeString(folder.resolve(CONFIG_NAME), configJson);
    }

    /**
     * Checks that models can compute in {@code type}: FLOAT32 (the default), FLOAT16 or FLOAT64.
     * Weights stored as F16 or BF16 load into any of them; BFLOAT16 itself cannot be a compute
     * type because DJL 0.36's PyTorch engine cannot hold bfloat16 arrays.
     */
    public static DataType requireComputeType(DataType type) {
        if (type != DataType.FLOAT32 && type != DataType.FLOAT16 && type != DataType.FLOAT64) {
            throw new IllegalArgumentException("unsupported compute type " + type
                    + " (supported: FLOAT32, FLOAT16, FLOAT64; bfloat16 weights load into any of them,"
                    + " but DJL's PyTorch engine holds no BFLOAT16 arrays)");
        }
        return type;
    }

    /** Whether {@code fileName} has a pickle-based weights suffix. */
    public static boolean isPickle(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        return PICKLE_SUFFIXES.stream().anyMatch(lower::endsWith);
    }

    private static List<String> listNames(Path folder) throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            files.filter(Files::isRegularFile).forEach(p -> names.add(p.getFileName().toString()));
        }
        names.sort(null);
        return names;
    }
}
