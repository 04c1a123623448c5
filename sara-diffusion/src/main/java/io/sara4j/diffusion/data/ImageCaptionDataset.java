package io.sara4j.diffusion.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.sara4j.diffusion.pipeline.Images;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
 * <p>{@link #open} checks every line, then every image, before it returns, so that a bad file is
 * found before the first training step rather than when a batch first draws it: the header's size
 * against the pixel cap ({@link DatasetOptions#maxImagePixels()}) without decoding, then the full
 * decode ({@link ImageCheck}), one image at a time and without keeping the pixels (unless
 * {@link DatasetOptions#cacheImages()} is set, which keeps the resized image). Unusable images are
 * refused all together ({@link BadImagesException}) or, with
 * {@link DatasetOptions#skipBadImages()}, left out and listed by {@link #skipped()}. Indices
 * 0 … {@link #size()}−1 count the usable examples only.
 *
 * <p>Each image goes through the reference transform ({@link ImageTransform}: resize the shorter
 * side to R, crop R × R, optional flip) and then {@link Images#toTensor} to (3, R, R) float32 in
 * [−1, 1]. With {@link DatasetOptions#buckets()} each image instead gets the bucket of
 * {@link BucketTable} nearest its aspect ratio ({@link #bucket(int)}), is resized to cover it and
 * cropped to it, and batches must come from one bucket ({@link #sampler}). Images not named in the
 * metadata are ignored.
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
    private final List<Bucket> buckets;
    private final BucketTable bucketTable;
    private final List<BadImage> skipped;
    private final int total;
    private final AtomicReferenceArray<RgbImage> cache;
    private final SplitMix64 draws;

    private ImageCaptionDataset(Path folder, DatasetOptions options, Checked checked, BucketTable bucketTable,
            int total) {
        this.folder = folder;
        this.options = options;
        this.transform = ImageTransform.of(options);
        this.examples = List.copyOf(checked.usable);
        this.buckets = List.copyOf(checked.buckets);
        this.bucketTable = bucketTable;
        this.skipped = List.copyOf(checked.bad);
        this.total = total;
        this.cache = checked.resized == null ? null : new AtomicReferenceArray<>(checked.resized.toArray(RgbImage[]::new));
        this.draws = new SplitMix64(options.seed());
    }

    /** What the check of every image found: the usable examples with their buckets, and the bad ones. */
    private record Checked(List<Example> usable, List<Bucket> buckets, List<RgbImage> resized, List<BadImage> bad) {}

    /**
     * Opens {@code folder}: reads and checks its {@code metadata.jsonl}, then checks every image
     * (header size against the pixel cap, then a full decode), one at a time.
     *
     * @throws BadImagesException listing every unusable image with its metadata line, unless
     *     {@link DatasetOptions#skipBadImages()} is set and at least one image is usable
     * @throws IllegalArgumentException naming the file (and line) if the folder or metadata file is
     *     missing, a line is not a JSON object, a field is missing or not a string, an image path
     *     leaves the folder, or there are no examples; or if the bucket step does not divide R
     * @throws IOException if the metadata file cannot be read
     */
    public static ImageCaptionDataset open(Path folder, DatasetOptions options) throws IOException {
        List<Example> lines = MetadataJsonl.read(folder, options);
        BucketTable table = options.buckets() ? BucketTable.of(options.resolution(), options.bucketStep()) : null;
        Checked checked = check(lines, options, table);
        if (!checked.bad.isEmpty()) {
            Path metadata = folder.resolve(MetadataJsonl.FILE_NAME);
            int bad = checked.bad.size();
            if (checked.usable.isEmpty()) {
                throw new BadImagesException(BadImage.list(metadata + ": " + (bad == 1 ? "the only image is" : "all "
                        + bad + " images are") + " unusable, nothing is left to train on:", checked.bad), checked.bad,
                        lines.size());
            }
            if (!options.skipBadImages()) {
                throw new BadImagesException(BadImage.list(metadata + ": " + bad + " of " + lines.size()
                        + " images cannot be used (fix or remove them, or leave them out with --skip-bad-images):",
                        checked.bad), checked.bad, lines.size());
            }
        }
        return new ImageCaptionDataset(folder, options, checked, table, lines.size());
    }

    /** Decodes each image once (and drops its pixels unless caching) to find every bad one now. */
    private static Checked check(List<Example> lines, DatasetOptions options, BucketTable table) {
        ImageTransform transform = ImageTransform.of(options);
        Bucket square = new Bucket(options.resolution(), options.resolution());
        List<Example> usable = new ArrayList<>();
        List<Bucket> buckets = new ArrayList<>();
        List<RgbImage> resized = options.cacheImages() ? new ArrayList<>() : null;
        List<BadImage> bad = new ArrayList<>();
        for (Example example : lines) {
            BufferedImage decoded;
            try {
                decoded = ImageCheck.decode(example.imageFile(), options.maxImagePixels());
            } catch (IOException e) {
                bad.add(badImage(example, options, e.getMessage()));
                continue;
            }
            Bucket bucket = table == null ? square : table.bucketFor(decoded.getWidth(), decoded.getHeight());
            usable.add(example);
            buckets.add(bucket);
            if (resized != null) {
                resized.add(transform.resizeToCover(RgbImage.of(decoded), bucket.width(), bucket.height()));
            }
        }
        return new Checked(usable, buckets, resized, bad);
    }

    private static BadImage badImage(Example example, DatasetOptions options, String reason) {
        return new BadImage(example.line(), example.fields().get(options.imageColumn()), example.imageFile(), reason);
    }

    /** The dataset folder. */
    public Path folder() {
        return folder;
    }

    /** The options it was opened with. */
    public DatasetOptions options() {
        return options;
    }

    /** Number of usable examples (lines of metadata.jsonl minus skipped images). */
    @Override
    public int size() {
        return examples.size();
    }

    /** Example {@code i} (0-based, in file order, skipped images left out). */
    public Example example(int i) {
        checkIndex(i);
        return examples.get(i);
    }

    /** The images left out by {@link DatasetOptions#skipBadImages()}, in metadata order (empty if none). */
    public List<BadImage> skipped() {
        return skipped;
    }

    /**
     * For the log: {@code ""} when nothing was skipped, otherwise {@code "skipped 2 of 18 images:"}
     * followed by one indented line per skipped image (see {@link BadImage#toString()}).
     */
    public String skipReport() {
        return skipped.isEmpty() ? "" : BadImage.list("skipped " + skipped.size() + " of " + total + " images:", skipped);
    }

    /** The bucket table in use, empty unless {@link DatasetOptions#buckets()} is set. */
    public Optional<BucketTable> bucketTable() {
        return Optional.ofNullable(bucketTable);
    }

    /** The w × h that example {@code i} is trained at: its bucket, or R × R without buckets. */
    public Bucket bucket(int i) {
        checkIndex(i);
        return buckets.get(i);
    }

    /** {@link #bucket(int)} of every example, index by index. */
    public List<Bucket> buckets() {
        return buckets;
    }

    /**
     * For the log: the buckets in use with their aspect ratios and image counts
     * ({@link BucketTable#describe}), or {@code ""} without buckets.
     */
    public String bucketSummary() {
        return bucketTable == null ? "" : bucketTable.describe(buckets);
    }

    /**
     * The sampler for this dataset: a {@link BucketBatchSampler} (every batch within one bucket)
     * with buckets, otherwise the plain shuffling {@link BatchSampler}.
     */
    @Override
    public Sampler sampler(int batchSize, long seed) {
        return bucketTable == null ? new BatchSampler(size(), batchSize, seed)
                : new BucketBatchSampler(buckets, batchSize, seed);
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
     * The images of the given examples as a (B, 3, h, w) float32 batch in [−1, 1] (h = w = R
     * without buckets), created in {@code manager}. Crop and flip draws come from the dataset's
     * stream seeded by {@link DatasetOptions#seed()}: the same seed and the same sequence of calls
     * give the same batches.
     *
     * @throws IllegalArgumentException if the examples are of different buckets
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
        Bucket bucket = bucket(indices[0]);
        for (int i : indices) {
            if (!bucket(i).equals(bucket)) {
                throw new IllegalArgumentException("a batch mixes buckets " + bucket + " (example " + indices[0]
                        + ") and " + bucket(i) + " (example " + i + "): draw batches with sampler(...)");
            }
        }
        NDList parts = new NDList(indices.length);
        try {
            for (int b = 0; b < indices.length; b++) {
                RgbImage cut = image(indices[b], SplitMix64.forKey(augmentationSeed, b));
                parts.add(Images.toTensor(cut.toBufferedImage(), manager)); // (3, h, w)
            }
            return NDArrays.stack(parts); // (B, 3, h, w)
        } finally {
            parts.close();
        }
    }

    /** Example {@code i} transformed to its bucket (R × R without buckets) with the given stream's crop and flip draws. */
    public RgbImage image(int i, SplitMix64 random) throws IOException {
        Bucket bucket = bucket(i);
        return transform.cropAndFlip(resized(i), bucket.width(), bucket.height(), random);
    }

    /** The decoded image resized to cover its bucket, from the cache when enabled. */
    private RgbImage resized(int i) throws IOException {
        Example example = example(i);
        RgbImage image = cache == null ? null : cache.get(i);
        if (image == null) {
            Bucket bucket = bucket(i);
            try {
                image = transform.resizeToCover(RgbImage.of(ImageCheck.decode(example.imageFile(),
                        options.maxImagePixels())), bucket.width(), bucket.height());
            } catch (IOException e) {
                // open() decoded it: the file changed since
                throw new IOException(folder + ": " + badImage(example, options, e.getMessage())
                        + " (the file changed after the dataset was opened)", e);
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
