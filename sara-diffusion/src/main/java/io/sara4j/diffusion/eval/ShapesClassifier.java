package io.sara4j.diffusion.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.core.io.SafetensorsWriter;
import io.sara4j.core.nn.Activations;
import io.sara4j.core.nn.Conv2d;
import io.sara4j.core.nn.GroupNorm;
import io.sara4j.core.nn.HostArrays;
import io.sara4j.core.nn.Linear;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.ModuleList;
import io.sara4j.diffusion.data.Interpolation;
import io.sara4j.diffusion.data.RgbImage;
import io.sara4j.diffusion.data.shapes.Colour;
import io.sara4j.diffusion.data.shapes.ShapeKind;
import io.sara4j.diffusion.data.shapes.Style;
import io.sara4j.diffusion.loading.BundledFolders;
import io.sara4j.diffusion.loading.WeightFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The small CNN that measures the shapes benchmark: it stands in for the Inception network of FID
 * (its pooled features) and for CLIP (its shape and colour heads), and also names the style.
 *
 * <pre>
 * x (N, 3, S, S) in [-1, 1]
 *   convs.0: conv 3×3, 3 → c0, stride 1, pad 1   → norms.0 (GroupNorm) → SiLU    (N, c0, S, S)
 *   convs.i: conv 3×3, c(i−1) → ci, stride 2, pad 1 → norms.i → SiLU            (N, ci, S/2^i, S/2^i)
 *   mean over H, W                                                               (N, D)  the features
 *   shape_head  Linear D → 6   (ShapeKind order)
 *   colour_head Linear D → 8   (Colour order)
 *   style_head  Linear D → 7   (Style order)
 * </pre>
 * With the shipped configuration ({@link ShapesClassifierConfig#DEFAULT}: 32 × 32, channels 16,
 * 32, 64, 128) the feature vector has D = 128 entries and the model 100,629 parameters (200 KB as
 * float16).
 *
 * <p>The weights live in a folder with {@code config.json} and {@code model.safetensors} (stored as
 * float16, computed in float32); {@code models/shapes-classifier/} of the repository holds the
 * trained one ({@link #bundledFolder()}), made by {@link ClassifierTrainer}.
 */
public final class ShapesClassifier extends Module {
    /** Base name of the weights file ({@code model.safetensors}). */
    public static final String WEIGHTS_BASE = WeightFiles.TRANSFORMERS_BASE;
    /** Where the trained classifier lives, relative to the repository root. */
    public static final Path BUNDLED = Path.of("models", "shapes-classifier");
    /** The system property naming the repository root (the {@code sara} launcher sets it). */
    public static final String HOME_PROPERTY = BundledFolders.HOME_PROPERTY;
    private static final float NORM_EPS = 1e-5f;
    private static final int BATCH = 128;

    private final ShapesClassifierConfig config;
    private final ModuleList<Conv2d> convs;
    private final ModuleList<GroupNorm> norms;
    private final Linear shapeHead;
    private final Linear colourHead;
    private final Linear styleHead;

    /**
     * The three heads' scores and the features they read.
     *
     * @param features (N, D) pooled features
     * @param shape (N, 6) shape logits
     * @param colour (N, 8) colour logits
     * @param style (N, 7) style logits
     */
    public record Logits(NDArray features, NDArray shape, NDArray colour, NDArray style) {}

    /** A classifier with PyTorch's default initialisation (draws from the engine's seeded generator). */
    public ShapesClassifier(NDManager manager, ShapesClassifierConfig config) {
        this.config = config;
        this.convs = registerModule("convs", new ModuleList<>());
        this.norms = registerModule("norms", new ModuleList<>());
        int in = 3;
        for (int i = 0; i < config.channels().size(); i++) {
            int out = config.channels().get(i);
            convs.add(new Conv2d(manager, in, out, 3, i == 0 ? 1 : 2, 1));
            norms.add(new GroupNorm(manager, config.normNumGroups(), out, NORM_EPS));
            in = out;
        }
        this.shapeHead = registerModule("shape_head", new Linear(manager, in, ShapeKind.values().length, true));
        this.colourHead = registerModule("colour_head", new Linear(manager, in, Colour.values().length, true));
        this.styleHead = registerModule("style_head", new Linear(manager, in, Style.values().length, true));
    }

    /** The pooled features (N, D) of images (N, 3, S, S) in [-1, 1]. */
    public NDArray features(NDArray images) {
        Shape s = images.getShape();
        if (s.dimension() != 4 || s.get(1) != 3 || s.get(2) != config.imageSize() || s.get(3) != config.imageSize()) {
            throw new IllegalArgumentException("expected images of shape (N, 3, " + config.imageSize() + ", "
                    + config.imageSize() + "), found " + s);
        }
        NDArray x = images;
        for (int i = 0; i < convs.size(); i++) {
            x = Activations.silu(norms.get(i).forward(convs.get(i).forward(x))); // (N, ci, S/2^i, S/2^i)
        }
        Shape h = x.getShape();
        return x.reshape(h.get(0), h.get(1), -1).mean(new int[] {2}); // (N, D): DJL's mean takes one axis
    }

    /** Features and the three heads' logits of images (N, 3, S, S) in [-1, 1]. */
    public Logits forward(NDArray images) {
        NDArray features = features(images);
        return new Logits(features, shapeHead.forward(features), colourHead.forward(features), styleHead.forward(features));
    }

    /**
     * Classifies RGB images of any size (resized to the input size with Pillow's antialiased
     * bilinear filter when they differ), in batches, without recording gradients.
     *
     * @param manager parent of the temporary arrays (all closed before returning)
     */
    public Classification classify(NDManager manager, List<BufferedImage> images) {
        int n = images.size();
        double[][] features = new double[n][];
        int[] shapes = new int[n];
        int[] colours = new int[n];
        int[] styles = new int[n];
        for (int start = 0; start < n; start += BATCH) {
            int end = Math.min(n, start + BATCH);
            try (NDManager batch = manager.newSubManager(); NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                Logits logits = forward(input(batch, images.subList(start, end)));
                double[] f = logits.features().toType(DataType.FLOAT64, false).toDoubleArray();
                int d = config.featureDim();
                long[] sh = logits.shape().argMax(1).toLongArray();
                long[] co = logits.colour().argMax(1).toLongArray();
                long[] st = logits.style().argMax(1).toLongArray();
                for (int i = start; i < end; i++) {
                    int k = i - start;
                    features[i] = Arrays.copyOfRange(f, k * d, (k + 1) * d);
                    shapes[i] = (int) sh[k];
                    colours[i] = (int) co[k];
                    styles[i] = (int) st[k];
                }
            }
        }
        return new Classification(features, shapes, colours, styles);
    }

    /** A batch (N, 3, S, S) in [-1, 1] of {@code images}, each resized to S × S if needed. */
    public NDArray input(NDManager manager, List<BufferedImage> images) {
        int size = config.imageSize();
        float[] data = new float[images.size() * 3 * size * size];
        for (int i = 0; i < images.size(); i++) {
            RgbImage image = RgbImage.of(images.get(i));
            if (image.width() != size || image.height() != size) {
                image = image.resize(size, size, Interpolation.BILINEAR);
            }
            putPixels(image.pixels(), data, i, size);
        }
        return HostArrays.of(manager, data, new Shape(images.size(), 3, size, size));
    }

    /** Writes packed 0xRRGGBB pixels (row-major, size × size) as image {@code index} of a (N, 3, S, S) batch. */
    static void putPixels(int[] rgb, float[] batch, int index, int size) {
        int plane = size * size;
        int base = index * 3 * plane;
        for (int p = 0; p < plane; p++) {
            batch[base + p] = ((rgb[p] >> 16) & 0xff) / 127.5f - 1f;
            batch[base + plane + p] = ((rgb[p] >> 8) & 0xff) / 127.5f - 1f;
            batch[base + 2 * plane + p] = (rgb[p] & 0xff) / 127.5f - 1f;
        }
    }

    /** The configuration the classifier was built from. */
    public ShapesClassifierConfig config() {
        return config;
    }

    /**
     * Writes {@code config.json} and {@code model.safetensors} (float16) into {@code folder}, each
     * atomically; the folder is created if needed.
     */
    public void save(Path folder) throws IOException {
        Files.createDirectories(folder);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            Map<String, NDArray> half = new LinkedHashMap<>();
            stateDict().forEach((name, array) -> half.put(name, array.stopGradient().toType(DataType.FLOAT16, true)));
            SafetensorsWriter.write(folder.resolve(WEIGHTS_BASE + ".safetensors"), half,
                    Map.of("format", "pt", "model", "sara4j.ShapesClassifier"));
        }
        AtomicFiles.writeString(folder.resolve(WeightFiles.CONFIG_NAME), config.toJson());
    }

    /**
     * Loads a classifier folder ({@code config.json}, {@code model.safetensors}) strictly into
     * float32 parameters owned by {@code manager}.
     *
     * @throws IllegalArgumentException naming the file when the folder or a file is missing or wrong
     */
    public static ShapesClassifier load(Path folder, NDManager manager) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException(folder + ": no such classifier folder (expected config.json and "
                    + WEIGHTS_BASE + ".safetensors; `sara train-classifier --out " + folder + "` makes one)");
        }
        ShapesClassifierConfig config = ShapesClassifierConfig.read(folder.resolve(WeightFiles.CONFIG_NAME));
        Path weights = folder.resolve(WEIGHTS_BASE + ".safetensors");
        if (!Files.isRegularFile(weights)) {
            throw new IllegalArgumentException(weights + ": missing (the classifier's weights)");
        }
        return WeightFiles.load(() -> new ShapesClassifier(manager, config), weights, Set.of(), DataType.FLOAT32);
    }

    /**
     * The shipped classifier's folder: {@code models/shapes-classifier} under the directory named
     * by the system property {@value #HOME_PROPERTY} when set (the {@code sara} launcher sets it),
     * else under the working directory or the nearest of its parents that has one.
     *
     * @throws IllegalArgumentException when none is found, saying where it looked
     */
    public static Path bundledFolder() {
        return BundledFolders.find(BUNDLED, WeightFiles.CONFIG_NAME, "the shipped shapes classifier");
    }

}
