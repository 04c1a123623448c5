package io.sara4j.diffusion.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The aspect-ratio buckets for a target resolution R, by the rule of kohya-ss sd-scripts'
 * {@code make_bucket_resolutions}, scaled with R: every (w, h) with both sides multiples of the
 * step, sides between R/2 and 2R (kohya's defaults 256 and 1024 at R = 512, so aspect ratios from
 * 1:4 to 4:1), each side as long as the area w·h ≤ R² allows, plus R × R itself. At R = 512 that is
 * 512x512, 576x448, 640x384, 704x320, 768x320, 832x256 … 1024x256 and their transposes.
 *
 * <p>An image goes to the bucket nearest to it in log aspect ratio, |ln(w/h) − ln(bw/bh)|, so 2:1
 * and 1:2 are equally far from 1:1; images more extreme than 1:4 go to the end bucket. Ties go to
 * the bucket listed first (table order: tall to wide, by aspect ratio).
 */
public final class BucketTable {
    private final int resolution;
    private final int step;
    private final List<Bucket> buckets;

    private BucketTable(int resolution, int step, List<Bucket> buckets) {
        this.resolution = resolution;
        this.step = step;
        this.buckets = List.copyOf(buckets);
    }

    /** The table for R with Stable Diffusion's step of 64 pixels. */
    public static BucketTable of(int resolution) {
        return of(resolution, DatasetOptions.DEFAULT_BUCKET_STEP);
    }

    /**
     * The table for R with sides in multiples of {@code step}.
     *
     * @throws IllegalArgumentException if R is not a positive multiple of the step
     */
    public static BucketTable of(int resolution, int step) {
        if (step < 1 || resolution < step || resolution % step != 0) {
            throw new IllegalArgumentException("bucket resolution " + resolution + " must be a positive multiple of the"
                    + " bucket step " + step + " (use a smaller step, e.g. " + Math.max(1, resolution / 8) + ")");
        }
        long maxArea = (long) resolution * resolution;
        int minSide = ceilTo(resolution / 2, step); // kohya: 256 at R = 512
        int maxSide = 2 * resolution;               // kohya: 1024 at R = 512
        Set<Bucket> found = new LinkedHashSet<>();
        found.add(new Bucket(resolution, resolution));
        for (int width = minSide; width <= maxSide; width += step) {
            // the tallest multiple of the step that keeps the area within R², capped at maxSide
            int height = (int) Math.min(maxSide, maxArea / width / step * step);
            if (height >= minSide) {
                found.add(new Bucket(width, height));
                found.add(new Bucket(height, width));
            }
        }
        List<Bucket> sorted = new ArrayList<>(found);
        sorted.sort(Comparator.comparingDouble(Bucket::aspectRatio)
                .thenComparing(Comparator.comparingLong((Bucket b) -> (long) b.width() * b.height()).reversed()));
        return new BucketTable(resolution, step, sorted);
    }

    private static int ceilTo(int value, int step) {
        return Math.max(step, (value + step - 1) / step * step);
    }

    /** The target resolution R (the largest bucket area is R²). */
    public int resolution() {
        return resolution;
    }

    /** Every side is a multiple of this. */
    public int step() {
        return step;
    }

    /** The buckets, tall to wide (ascending aspect ratio). */
    public List<Bucket> buckets() {
        return buckets;
    }

    /** The bucket for an image of width × height: nearest in log aspect ratio, ties to the first listed. */
    public Bucket bucketFor(int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be positive, found " + width + "x" + height);
        }
        double logRatio = Math.log((double) width / height);
        Bucket best = null;
        double bestDistance = Double.POSITIVE_INFINITY;
        for (Bucket bucket : buckets) {
            double distance = Math.abs(logRatio - Math.log(bucket.aspectRatio()));
            if (distance < bestDistance) {
                best = bucket;
                bestDistance = distance;
            }
        }
        return best;
    }

    /**
     * A table for the log: one row per bucket holding at least one of {@code assigned} (the bucket
     * of each image), with its aspect ratio and image count, then a total line.
     * <pre>
     * bucket     aspect  images
     * 256x1024     0.25       1
     * 512x512      1.00      14
     * 640x384      1.67       1
     * 3 of 25 buckets used by 16 images (resolution 512, step 64)
     * </pre>
     */
    public String describe(List<Bucket> assigned) {
        Map<Bucket, Integer> counts = new TreeMap<>(Comparator.comparingInt(buckets::indexOf));
        for (Bucket bucket : assigned) {
            if (!buckets.contains(bucket)) {
                throw new IllegalArgumentException("bucket " + bucket + " is not in this table");
            }
            counts.merge(bucket, 1, Integer::sum);
        }
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%-10s %6s %7s", "bucket", "aspect", "images"));
        counts.forEach((bucket, count) -> text.append(String.format(Locale.ROOT, "\n%-10s %6.2f %7d",
                bucket, bucket.aspectRatio(), count)));
        text.append(String.format(Locale.ROOT, "\n%d of %d buckets used by %d images (resolution %d, step %d)",
                counts.size(), buckets.size(), assigned.size(), resolution, step));
        return text.toString();
    }
}
