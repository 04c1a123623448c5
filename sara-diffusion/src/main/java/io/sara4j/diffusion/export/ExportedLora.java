package io.sara4j.diffusion.export;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.io.RawTensor;
import io.sara4j.core.io.SafetensorsDType;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.peft.BaseFingerprint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Writes a {@link LowRankExport.Result} as a UNet LoRA file in a {@link LoraLayout}, and applies
 * such files (ours, or diffusers/PEFT- and kohya-named UNet LoRAs from elsewhere) to a module:
 * W ← W + scale·(alpha/r)·reshape(up·down, shape(W)).
 */
public final class ExportedLora {
    /** Value of the {@code format} metadata key of files written here. */
    public static final String FORMAT = "sara4j.exported-lora";

    private ExportedLora() {}

    /**
     * Writes the factors of {@code result} with non-zero rank atomically, float32, with metadata
     * {@code format}, {@code layout}, {@code rank} (the largest), {@code base_fingerprint} of the
     * exported weights and {@code extraMetadata}.
     */
    public static void write(LowRankExport.Result result, LoraLayout layout, Path file, Map<String, String> extraMetadata) {
        Map<String, RawTensor> tensors = new LinkedHashMap<>();
        int maxRank = 0;
        for (LowRankExport.Factor f : result.factors()) {
            if (f.rank() == 0) {
                continue;
            }
            maxRank = Math.max(maxRank, f.rank());
            long[] s = f.shape();
            long[] downShape = s.length == 4 ? new long[] {f.rank(), s[1], s[2], s[3]} : new long[] {f.rank(), s[1]};
            long[] upShape = s.length == 4 ? new long[] {s[0], f.rank(), 1, 1} : new long[] {s[0], f.rank()};
            tensors.put(layout.downKey(f.module()), raw(f.down(), downShape));
            tensors.put(layout.upKey(f.module()), raw(f.up(), upShape));
            if (layout.alphaKey(f.module()) != null) {
                tensors.put(layout.alphaKey(f.module()), raw(new float[] {f.rank()}, new long[0]));
            }
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("format_version", "1");
        meta.put("layout", layout.id());
        meta.put("rank", Integer.toString(maxRank));
        meta.put("base_fingerprint", result.fingerprint().toJson());
        if (layout == LoraLayout.KOHYA) {
            meta.put("ss_network_module", "networks.lora");
            meta.put("ss_network_dim", Integer.toString(maxRank));
            meta.put("ss_network_alpha", Integer.toString(maxRank));
        }
        extraMetadata.forEach(meta::putIfAbsent);
        try {
            SafetensorsWriter.writeRaw(file, tensors, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write LoRA file " + file + ": " + e.getMessage(), e);
        }
    }

    private static RawTensor raw(float[] values, long[] shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new RawTensor(SafetensorsDType.F32, shape, b);
    }

    /**
     * Merges a diffusers/PEFT- or kohya-named UNet LoRA file into {@code module}'s weights at
     * {@code scale}. Kohya names are mapped back by comparing them with the kohya names of the
     * module's own weight-holding submodules, never by guessing which underscores were dots. Files
     * written by {@link #write} carry a base fingerprint, which is checked first.
     *
     * @return the module paths changed
     * @throws IllegalArgumentException naming the file and each key that fits no module, lacks its
     *     partner, or has a shape that does not fit the weight
     */
    public static List<String> apply(Module module, Path file, double scale) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            LoraLayout layout = LoraLayout.detect(f.names());
            Map<String, Module> modules = module.namedModules();
            Map<String, String> byStem = new LinkedHashMap<>();
            Map<String, String> collisions = new LinkedHashMap<>();
            modules.forEach((path, m) -> {
                if (m.localParameters().containsKey("weight") && !path.isEmpty()) {
                    String previous = byStem.put(layout.stem(path), path);
                    if (previous != null) {
                        collisions.put(layout.stem(path), previous + " and " + path);
                    }
                }
            });
            Map<String, String> stems = new LinkedHashMap<>(); // stem -> module path
            List<String> problems = new ArrayList<>();
            for (String key : f.names()) {
                String stem = stemOf(key, layout);
                if (stem == null) {
                    problems.add("unexpected tensor '" + key + "' (" + layout.id() + " keys end in " + layout.downSuffix() + ", "
                            + layout.upSuffix() + (layout.alphaSuffix() == null ? "" : " or " + layout.alphaSuffix()) + ")");
                    continue;
                }
                String lookup = layout == LoraLayout.DIFFUSERS && stem.startsWith("base_model.model.")
                        ? "unet." + stem.substring("base_model.model.".length()) : stem;
                if (collisions.containsKey(lookup)) {
                    problems.add("'" + key + "' is ambiguous: it names both " + collisions.get(lookup));
                } else if (!byStem.containsKey(lookup)) {
                    problems.add("'" + key + "' names no weight of this model");
                } else if (!f.contains(stem + layout.downSuffix()) || !f.contains(stem + layout.upSuffix())) {
                    problems.add("'" + stem + "' needs both " + layout.downSuffix() + " and " + layout.upSuffix());
                } else {
                    stems.put(stem, byStem.get(lookup));
                }
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(file + ": LoRA file does not fit this model:\n  "
                        + String.join("\n  ", new TreeSet<>(problems)));
            }
            String fp = f.metadata().get("base_fingerprint");
            if (fp != null) {
                BaseFingerprint.fromJson(fp, file.toString()).check(module, "LoRA file " + file);
            }
            List<String> changed = new ArrayList<>();
            for (Map.Entry<String, String> e : stems.entrySet()) {
                String stem = e.getKey();
                Parameter w = modules.get(e.getValue()).localParameters().get("weight");
                long[] shape = w.shape().getShape();
                long out = shape[0];
                long fanIn = w.shape().size() / out;
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray down = f.load(stem + layout.downSuffix(), w.data().getManager(), DataType.FLOAT32);
                    NDArray up = f.load(stem + layout.upSuffix(), w.data().getManager(), DataType.FLOAT32);
                    long rank = down.getShape().get(0);
                    if (down.size() != rank * fanIn || up.size() != out * rank || up.getShape().get(0) != out) {
                        throw new IllegalArgumentException(file + ": factors of '" + stem + "' have shapes " + down.getShape()
                                + " and " + up.getShape() + ", which do not fit weight " + w.shape() + " of '" + e.getValue() + "'");
                    }
                    double alpha = rank;
                    String alphaKey = layout.alphaSuffix() == null ? null : stem + layout.alphaSuffix();
                    if (alphaKey != null && f.contains(alphaKey)) {
                        alpha = f.load(alphaKey, w.data().getManager(), DataType.FLOAT32).toFloatArray()[0];
                    }
                    NDArray product = up.reshape(out, rank).matMul(down.reshape(rank, fanIn)).muli((float) (scale * alpha / rank));
                    w.data().addi(product.reshape(new Shape(shape)).toType(w.dataType(), false));
                }
                changed.add(e.getValue());
            }
            return changed;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read LoRA file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The key without its factor/alpha suffix, or null when it has none of the layout's suffixes. */
    private static String stemOf(String key, LoraLayout layout) {
        for (String suffix : new String[] {layout.downSuffix(), layout.upSuffix(), layout.alphaSuffix()}) {
            if (suffix != null && key.endsWith(suffix)) {
                return key.substring(0, key.length() - suffix.length());
            }
        }
        return null;
    }
}
