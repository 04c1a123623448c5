package io.sara4j.diffusion.data.shapes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.sara4j.diffusion.data.SplitMix64;
import io.sara4j.diffusion.data.TrainingData;
import io.sara4j.diffusion.pipeline.Images;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The shapes benchmark as in-memory {@link TrainingData}: {@code count} images per style, rendered
 * when a batch asks for them, so pretraining needs no files.
 *
 * <p>Example {@code s·count + k} is image k of style s: content {@code ShapesDataset.specs(PLAIN,
 * count, seed, options)[k]} drawn in style s (every style shows the same content, as in
 * {@link ShapesDataset#generate}), captioned {@code prefix(s) + spec.caption()}. A fraction
 * {@code emptyCaptionFraction} of the examples, chosen by hashing (seed, index), has the empty
 * caption instead: the unconditional examples classifier-free guidance needs. Images carry no
 * random augmentation, so {@link #images} ignores its seed.
 */
public final class ShapesTrainingSet implements TrainingData {
    private final List<ShapesSpec> specs;
    private final List<String> captions;
    private final int imageSize;

    private ShapesTrainingSet(List<ShapesSpec> specs, List<String> captions, int imageSize) {
        this.specs = specs;
        this.captions = captions;
        this.imageSize = imageSize;
    }

    /**
     * The set of {@code count} images per style of {@code prefixes} (in the map's order) at
     * {@code imageSize} × {@code imageSize}.
     *
     * @param prefixes each style and the text put before its captions ("plain style, ")
     * @param emptyCaptionFraction share of examples whose caption is empty, in [0, 1)
     * @throws IllegalArgumentException naming the argument at fault
     */
    public static ShapesTrainingSet of(Map<Style, String> prefixes, int count, long seed, ShapesOptions options,
            double emptyCaptionFraction, int imageSize) {
        if (prefixes.isEmpty()) {
            throw new IllegalArgumentException("at least one style is required");
        }
        if (!(emptyCaptionFraction >= 0 && emptyCaptionFraction < 1)) {
            throw new IllegalArgumentException("emptyCaptionFraction must be in [0, 1), found " + emptyCaptionFraction);
        }
        if (imageSize < ShapesRenderer.MIN_SIZE) {
            throw new IllegalArgumentException("imageSize must be >= " + ShapesRenderer.MIN_SIZE + ", found " + imageSize);
        }
        List<ShapesSpec> content = ShapesDataset.specs(Style.PLAIN, count, seed, options);
        long dropSeed = SplitMix64.forKey(seed, 2).nextLong();
        List<ShapesSpec> specs = new ArrayList<>(prefixes.size() * count);
        List<String> captions = new ArrayList<>(prefixes.size() * count);
        for (Map.Entry<Style, String> e : prefixes.entrySet()) {
            for (ShapesSpec c : content) {
                boolean empty = SplitMix64.forKey(dropSeed, specs.size()).nextDouble() < emptyCaptionFraction;
                captions.add(empty ? "" : e.getValue() + c.caption());
                specs.add(c.withStyle(e.getKey()));
            }
        }
        return new ShapesTrainingSet(List.copyOf(specs), List.copyOf(captions), imageSize);
    }

    @Override
    public int size() {
        return specs.size();
    }

    /** What example {@code i} shows. */
    public ShapesSpec spec(int i) {
        return specs.get(i);
    }

    @Override
    public List<String> captions(int[] indices) {
        List<String> out = new ArrayList<>(indices.length);
        for (int i : indices) {
            out.add(captions.get(i));
        }
        return out;
    }

    @Override
    public NDArray images(NDManager manager, int[] indices, long augmentationSeed) {
        if (indices.length == 0) {
            throw new IllegalArgumentException("a batch needs at least one index");
        }
        NDList parts = new NDList(indices.length);
        try {
            for (int i : indices) {
                parts.add(Images.toTensor(ShapesRenderer.render(specs.get(i), imageSize), manager)); // (3, R, R)
            }
            return NDArrays.stack(parts); // (B, 3, R, R)
        } finally {
            parts.close();
        }
    }
}
