package io.sara4j.diffusion.loading;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.nn.StateDictMismatchException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the weights file of a diffusers/transformers component folder and loads it strictly.
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
     * Copies every tensor of {@code file} into {@code module}'s parameters by key, strictly: the
     * key sets must be equal (apart from {@code ignoredKeys}, tensors the file may hold that carry
     * no weights) and every shape must match. Everything is checked from the header before
     * anything is read, so a failed load leaves the module unchanged; then tensors are read and
     * copied one at a time (peak memory: the model plus one tensor), converted to each
     * parameter's data type.
     *
     * @param manager parent of the scratch scope the tensors pass through
     * @throws StateDictMismatchException naming the file and listing every missing key, unexpected
     *     key and shape mismatch
     */
    public static void loadStrict(Module module, Path file, Set<String> ignoredKeys, NDManager manager)
            throws IOException {
        Map<String, Parameter> own = module.namedParameters();
        try (SafetensorsFile weights = SafetensorsFile.open(file)) {
            List<String> missing = new ArrayList<>();
            List<String> unexpected = new ArrayList<>();
            List<String> mismatched = new ArrayList<>();
            for (Map.Entry<String, Parameter> e : own.entrySet()) {
                if (!weights.contains(e.getKey())) {
                    missing.add(e.getKey());
                    continue;
                }
                Shape found = new Shape(weights.info(e.getKey()).shape());
                if (!found.equals(e.getValue().shape())) {
                    mismatched.add(e.getKey() + ": expected " + e.getValue().shape() + ", found " + found);
                }
            }
            for (String name : weights.names()) {
                if (!own.containsKey(name) && !ignoredKeys.contains(name)) {
                    unexpected.add(name);
                }
            }
            if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
                throw new StateDictMismatchException(file.toString(), module.getClass().getSimpleName(), missing,
                        unexpected, mismatched);
            }
            try (NDManager scratch = manager.newSubManager()) {
                for (Map.Entry<String, Parameter> e : own.entrySet()) {
                    try (NDArray tensor = weights.load(e.getKey(), scratch)) {
                        e.getValue().copyFrom(tensor);
                    }
                }
            }
        }
    }

    /**
     * Checks that models can compute in {@code type}: FLOAT32 (the default), FLOAT16 or FLOAT64.
     * Weights stored as F16 or BF16 load into any of them; BFLOAT16 itself cannot be a compute
     * type because DJL 0.36's PyTorch engine cannot hold bfloat16 arrays.
     */
    public static DataType requireComputeType(DataType type) {
        if (type != DataType.FLOAT32 && type != DataType.FLOAT16 && type != DataType.FLOAT64) {
            throw new IllegalArgumentException("unsupported compute type " + type
                    + " (supported: FLOAT32, FLOAT16, FLOAT64; bfloat16 weights load into any of them)");
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
