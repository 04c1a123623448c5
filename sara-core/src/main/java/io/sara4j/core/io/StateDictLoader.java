package io.sara4j.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.nn.StateDictMismatchException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads a {@link Module}'s parameters from a safetensors file strictly by key, streaming one tensor
 * at a time: the load of every model (UNet, VAE, text encoder, and any other module tree).
 *
 * <p>Strict, as {@code load_state_dict(strict=True)}: the file's keys and the module's parameter
 * keys must be the same set (apart from {@code ignoredKeys}, tensors a file may hold that carry no
 * weights, such as buffers older checkpoints stored) and every shape must match. All of it is
 * checked from the header before any tensor data is read, so a failed load leaves the module
 * unchanged and the error lists every missing key, unexpected key and shape mismatch at once.
 *
 * <p>Streaming: each tensor is mapped from the file, copied once into the engine in the
 * parameter's data type (F16/BF16 weights into float32 parameters and so on), copied into the
 * parameter and closed before the next one is read. Peak memory is the model plus one tensor, and
 * no tensor data passes through the Java heap, whatever the size of the file. Loaded arrays are
 * created in each parameter's own manager and closed right away, so no manager is created here.
 */
public final class StateDictLoader {
    private StateDictLoader() {}

    /**
     * Opens {@code file} and loads it into {@code module}; see {@link #loadStrict(Module, SafetensorsFile, Set)}.
     *
     * @throws IOException if the file cannot be opened
     * @throws SafetensorsFormatException if the file is not valid safetensors
     */
    public static void loadStrict(Module module, Path file, Set<String> ignoredKeys) throws IOException {
        try (SafetensorsFile weights = SafetensorsFile.open(file)) {
            loadStrict(module, weights, ignoredKeys);
        }
    }

    /**
     * Copies every tensor of {@code file} into the parameter of the same key, converted to the
     * parameter's data type, after checking keys and shapes both ways.
     *
     * @param ignoredKeys tensors the file may hold that the module does not have (they are not read)
     * @throws StateDictMismatchException naming the file and the module class and listing every
     *     missing key, unexpected key and shape mismatch; nothing has been copied then
     */
    public static void loadStrict(Module module, SafetensorsFile file, Set<String> ignoredKeys) {
        Map<String, Parameter> own = module.namedParameters();
        checkKeysAndShapes(module, own, file, ignoredKeys);
        for (Map.Entry<String, Parameter> e : own.entrySet()) {
            Parameter parameter = e.getValue();
            try (NDArray tensor = file.load(e.getKey(), parameter.data().getManager(), parameter.dataType())) {
                parameter.copyFrom(tensor); // the parameter keeps its own copy
            }
        }
    }

    /** Compares the header with the module both ways; throws with all three lists if anything differs. */
    private static void checkKeysAndShapes(Module module, Map<String, Parameter> own, SafetensorsFile file,
            Set<String> ignoredKeys) {
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : own.entrySet()) {
            if (!file.contains(e.getKey())) {
                missing.add(e.getKey());
                continue;
            }
            Shape found = file.info(e.getKey()).djlShape();
            if (!found.equals(e.getValue().shape())) {
                mismatched.add(e.getKey() + ": expected " + e.getValue().shape() + ", found " + found);
            }
        }
        for (String name : file.names()) {
            if (!own.containsKey(name) && !ignoredKeys.contains(name)) {
                unexpected.add(name);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !mismatched.isEmpty()) {
            throw new StateDictMismatchException(file.path().toString(), module.getClass().getSimpleName(), missing,
                    unexpected, mismatched);
        }
    }
}
