package io.sara4j.diffusion.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.sara4j.diffusion.pipeline.Images;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A folder of images with captions in {@code metadata.jsonl}: the HuggingFace {@code imagefolder}
 * layout that the SaRA reference training script reads.
 *
 * <pre>
 * folder/
 *   metadata.jsonl   {"file_name": "0001.png", "text": "a castle on a hill"}   one object per line
 *   0001.png …       paths relative to the folder (subfolders allowed)
 * </pre>
 *
 * <p>{@link #open} checks every line and every image header up front; pixels are decoded on
 * demand, batch by batch ({@link #images}), and kept only if {@link DatasetOptions#cacheImages()}
 * is set. Each image goes through the reference transform ({@link ImageTransform}: resize the
 * shorter side to R, crop R × R, optional flip) and then {@link Images#toTensor} to
 * (3, R, R) float32 in [−1, 1]. Images not named in the metadata are ignored.
 *
 * <p>Thread safety: the read-only methods may be called from several threads; the two-argument
 * {@link #images(NDManager, int[])} draws from one shared seeded stream, so its results depend on
 * the order of calls.
 */
public final class ImageCaptionDataset implements TrainingData {
    private final Path folder;
    private final DatasetOptions options;
    private final ImageTransform transform;
    private final List<Example> examples;
    private final AtomicReferenceArray<RgbImage> cache;
    private final SplitMix64 draws;

    private ImageCaptionDataset(Path folder, DatasetOptions options, List<Example> examples) {
        this.folder = folder;
        this.options = options;
        this.transform = ImageTransform.of(options);
        this.examples = List.copyOf(examples);
        this.cache = options.cacheImages() ? new AtomicReferenceArray<>(examples.size()) : null;
        this.draws = new SplitMix64(options.seed());
    }

    /**
     * Opens {@code folder}, reading and checking its {@code metadata.jsonl}.
     *
     * @throws IllegalArgumentException naming the file (and line) if the folder or metadata file is
     *     missing, a line is not a JSON object, a field is missing or not a string, an image path
     *     leaves the folder, an image is missing or unreadable, or there are no examples
     * @throws IOException if the metadata file cannot be read
     */
    public static ImageCaptionDataset open(Path folder, DatasetOptions options) throws IOException {
        return new ImageCaptionDataset(folder, options, MetadataJsonl.read(folder, options));
    }

    /** The dataset folder. */
    public Path folder() {
        return folder;
    }

    /** The options it was opened with. */
    public DatasetOptions options() {
        return options;
    }

    /** Number of examples (lines of metadata.jsonl). */
    @Override
    public int size() {
        return examples.size();
    }

    /** Example {@code i} (0-based, in file order). */
    public Example example(int i) {
        checkIndex(i);
        return examples.get(i);
    }

    /** The prefixed captions of the given examples, in order. */
    @Override
    public List<String> captions(int[] indices) {
        List<String> captions = new ArrayList<>(indices.length);
        for (int i : indices) {
            captions.add(example(i).caption());
        }
        return captions;
    }

    /**
     * The images of the given examples as a (B, 3, R, R) float32 batch in [−1, 1], created in
     * {@code manager}. Crop and flip draws come from the dataset's stream seeded by
     * {@link DatasetOptions#seed()}: the same seed and the same sequence of calls give the same
     * batches.
     *
     * @throws IOException naming the metadata line and the image if an image cannot be decoded
     */
    public NDArray images(NDManager manager, int[] indices) throws IOException {
        long key;
        synchronized (draws) {
            key = draws.nextLong();
        }
        return images(manager, indices, key);
    }

    /**
     * As {@link #images(NDManager, int[])}, with the crop and flip draws fixed by
     * {@code augmentationSeed} alone: position b of the batch uses
     * {@code SplitMix64.forKey(augmentationSeed, b)}. A resumable training loop passes a value
     * derived from its seed and step.
     */
    @Override
    public NDArray images(NDManager manager, int[] indices, long augmentationSeed) throws IOException {
        if (indices.length == 0) {
            throw new IllegalArgumentException("a batch needs at least one index");
        }
        NDList parts = new NDList(indices.length);
        try {
            for (int b = 0; b < indices.length; b++) {
                RgbImage square = image(indices[b], SplitMix64.forKey(augmentationSeed, b));
                parts.add(Images.toTensor(square.toBufferedImage(), manager)); // (3, R, R)
            }
            return NDArrays.stack(parts); // (B, 3, R, R)
        } finally {
            parts.close();
        }
    }

    /** Example {@code i} transformed to R × R with the given stream's crop and flip draws. */
    public RgbImage image(int i, SplitMix64 random) throws IOException {
        return transform.cropAndFlip(resized(i), random);
    }

    /** The decoded image with its shorter side resized to R, from the cache when enabled. */
    private RgbImage resized(int i) throws IOException {
        Example example = example(i);
        RgbImage image = cache == null ? null : cache.get(i);
        if (image == null) {
            try {
                image = transform.resize(RgbImage.read(example.imageFile()));
            } catch (IOException | RuntimeException e) {
                throw new IOException(folder.resolve(MetadataJsonl.FILE_NAME) + ":" + example.line()
                        + ": cannot decode image " + example.imageFile() + ": " + e.getMessage(), e);
            }
            if (cache != null) {
                cache.set(i, image);
            }
        }
        return image;
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= examples.size()) {
            throw new IndexOutOfBoundsException("example " + i + " of a dataset of " + examples.size());
        }
    }
}
