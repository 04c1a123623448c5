package io.sara4j.diffusion.data.shapes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sara4j.core.io.AtomicFiles;
import io.sara4j.diffusion.data.SplitMix64;
import io.sara4j.diffusion.pipeline.Images;
import java.awt.image.BufferedImage;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Generates shapes-benchmark sets as image folders that {@link io.sara4j.diffusion.data.ImageCaptionDataset}
 * and the reference training script read.
 *
 * <p><b>Content.</b> Image k (0-based) of a set takes its (shape, colour, background) from a
 * shuffled round-robin over the combinations in the options' split, so every combination appears
 * ⌊count / n⌋ or ⌈count / n⌉ times: round ⌊k / n⌋ visits them in the order
 * {@code SplitMix64.forKey(orderSeed, round).permutation(n)}. Its jitter comes from
 * {@code SplitMix64.forKey(jitterSeed, k)}: radius = a/128 with a uniform in [32, 48], centre
 * x = (2i + 1)/256 and y = (2j + 1)/256 with i, j uniform in [a + 4, 127 − a − 4] (so the shape
 * keeps a margin of about 4/128 of the side), then the texture seed. All are dyadic, so every
 * membership test is exact; and since the centre is an odd multiple of 1/256 while pixel centres
 * at sizes dividing 128 are even multiples, no pixel centre lies exactly on a shape's leftmost,
 * rightmost, top or bottom point (which would give circles one-pixel nubs). orderSeed and jitterSeed are the first outputs of
 * {@code SplitMix64.forKey(seed, 0)} and {@code forKey(seed, 1)}. Content depends on (seed, k, options)
 * only, so every style of a set shows the same shapes in the same places, and a smaller count gives
 * a prefix of a larger one.
 *
 * <p><b>Folder.</b> {@code <style>-<k>.png} (k zero-padded to 5 digits) for each style and k, and
 * {@code metadata.jsonl} with one line per image, in style-then-k order:
 * <pre>
 * {"file_name":"stripes-00000.png","text":"a magenta square on a navy background","shape":"square",
 *  "colour":"magenta","background":"navy","style":"stripes","split":"train","x":0.53515625,"y":0.40234375,
 *  "radius":0.359375}
 * </pre>
 * Everything is written into a hidden sibling folder that is renamed to the target at the end, so
 * the target appears complete or not at all.
 */
public final class ShapesDataset {
    private static final int QUANTUM = 128;
    private static final int MIN_RADIUS = 32;
    private static final int MAX_RADIUS = 48;
    private static final int MARGIN = 4;
    private static final ObjectMapper JSON = new ObjectMapper();

    private ShapesDataset() {}

    private record Content(ShapeKind shape, Colour colour, Background background) {}

    /** The (shape, colour, background) combinations of the options' split, in canonical order. */
    private static List<Content> combinations(ShapesOptions options) {
        List<Content> all = new ArrayList<>();
        for (ShapeKind shape : ShapeKind.values()) {
            for (Colour colour : Colour.values()) {
                for (Background background : Background.values()) {
                    if (options.shapes().contains(shape) && options.colours().contains(colour)
                            && options.backgrounds().contains(background)
                            && options.heldOut().inSplit(options.split(), shape, colour)) {
                        all.add(new Content(shape, colour, background));
                    }
                }
            }
        }
        if (all.isEmpty()) {
            throw new IllegalArgumentException("no (shape, colour) combination of " + options.shapes() + " × "
                    + options.colours() + " is in the " + options.split() + " split of " + options.heldOut());
        }
        return all;
    }

    /** The distinct content captions of the options' split: the evaluation prompts of HELD_OUT. */
    public static List<String> prompts(ShapesOptions options) {
        return combinations(options).stream().map(c -> ShapesSpec.caption(c.shape(), c.colour(), c.background()))
                .toList();
    }

    /** The specs of images 0 … count−1 of a set in {@code style} (see the class comment). */
    public static List<ShapesSpec> specs(Style style, int count, long seed, ShapesOptions options) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, found " + count);
        }
        List<Content> combos = combinations(options);
        long orderSeed = SplitMix64.forKey(seed, 0).nextLong();
        long jitterSeed = SplitMix64.forKey(seed, 1).nextLong();
        List<ShapesSpec> specs = new ArrayList<>(count);
        int[] order = null;
        for (int k = 0; k < count; k++) {
            if (k % combos.size() == 0) {
                order = SplitMix64.forKey(orderSeed, k / combos.size()).permutation(combos.size());
            }
            Content c = combos.get(order[k % combos.size()]);
            SplitMix64 jitter = SplitMix64.forKey(jitterSeed, k);
            int a = jitter.nextInt(MIN_RADIUS, MAX_RADIUS);
            int i = jitter.nextInt(a + MARGIN, QUANTUM - 1 - a - MARGIN);
            int j = jitter.nextInt(a + MARGIN, QUANTUM - 1 - a - MARGIN);
            specs.add(new ShapesSpec(c.shape(), c.colour(), c.background(), style, (2 * i + 1) / (2.0 * QUANTUM),
                    (2 * j + 1) / (2.0 * QUANTUM), (double) a / QUANTUM, jitter.nextLong()));
        }
        return specs;
    }

    /**
     * Writes {@code count} images per style into a new folder {@code folder}, with
     * {@code metadata.jsonl}; returns the specs in metadata order.
     *
     * @throws IllegalArgumentException if {@code folder} exists and is not an empty directory, or
     *     the styles or count are invalid
     * @throws IOException if writing fails (nothing is left behind then)
     */
    public static List<ShapesSpec> generate(Path folder, List<Style> styles, int count, long seed,
            ShapesOptions options) throws IOException {
        if (styles.isEmpty() || styles.stream().distinct().count() != styles.size()) {
            throw new IllegalArgumentException("styles must be non-empty and distinct, found " + styles);
        }
        Path target = folder.toAbsolutePath().normalize();
        checkTarget(target);
        List<ShapesSpec> content = specs(Style.PLAIN, count, seed, options);
        List<ShapesSpec> written = new ArrayList<>(styles.size() * count);
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path temp = createTempSibling(target);
        try {
            StringBuilder metadata = new StringBuilder();
            for (Style style : styles) {
                for (int k = 0; k < count; k++) {
                    ShapesSpec spec = content.get(k).withStyle(style);
                    String name = String.format("%s-%05d.png", style.label(), k);
                    writePng(ShapesRenderer.render(spec, options.imageSize()), temp.resolve(name));
                    metadata.append(metadataLine(name, spec, options)).append('\n');
                    written.add(spec);
                }
            }
            AtomicFiles.writeString(temp.resolve("metadata.jsonl"), metadata.toString());
            Files.deleteIfExists(target); // only an empty directory gets here
            move(temp, target);
        } catch (IOException | RuntimeException | Error e) {
            deleteTree(temp, e);
            throw e;
        }
        syncFolder(parent);
        return written;
    }

    /**
     * Writes one PNG into the temporary folder, flushed to disk: the folder as a whole is what is
     * published atomically, so the per-file rename of {@link Images#writePng} would only add cost.
     */
    private static void writePng(BufferedImage image, Path file) throws IOException {
        try (FileOutputStream out = new FileOutputStream(file.toFile())) {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException(file + ": no PNG writer available");
            }
            out.getChannel().force(true);
        }
    }

    private static String metadataLine(String fileName, ShapesSpec spec, ShapesOptions options) throws IOException {
        ObjectNode line = JSON.createObjectNode();
        line.put("file_name", fileName);
        line.put("text", (options.styleInCaption() ? spec.style().label() + " style, " : "") + spec.caption());
        line.put("shape", spec.shape().label());
        line.put("colour", spec.colour().label());
        line.put("background", spec.background().label());
        line.put("style", spec.style().label());
        line.put("split", options.heldOut().isHeldOut(spec.shape(), spec.colour())
                ? Split.HELD_OUT.label() : Split.TRAIN.label());
        line.put("x", spec.x());
        line.put("y", spec.y());
        line.put("radius", spec.radius());
        return JSON.writeValueAsString(line);
    }

    private static void checkTarget(Path target) throws IOException {
        if (Files.exists(target)) {
            boolean empty = false;
            if (Files.isDirectory(target)) {
                try (Stream<Path> entries = Files.list(target)) {
                    empty = entries.findAny().isEmpty();
                }
            }
            if (!empty) {
                throw new IllegalArgumentException(target + " already exists and is not an empty folder:"
                        + " choose a new folder or delete it first");
            }
        }
    }

    /** A hidden folder next to the target (same file system, so the final rename is atomic). */
    private static Path createTempSibling(Path target) throws IOException {
        for (int attempt = 0; ; attempt++) {
            String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong());
            Path temp = target.resolveSibling("." + target.getFileName() + "." + suffix + ".tmp");
            try {
                return Files.createDirectory(temp);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) {
                    throw e;
                }
            }
        }
    }

    private static void move(Path temp, Path target) throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target);
        }
    }

    private static void deleteTree(Path root, Throwable failure) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    private static void syncFolder(Path folder) {
        try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Not every platform can sync a folder; the rename itself has already happened.
        }
    }
}
