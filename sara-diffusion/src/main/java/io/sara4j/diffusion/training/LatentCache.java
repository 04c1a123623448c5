package io.sara4j.diffusion.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.HostArrays;
import io.sara4j.diffusion.pipeline.SeededNoise;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.vae.AutoencoderKL;
import io.sara4j.diffusion.vae.DiagonalGaussianDistribution;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Encodes each distinct training image once with the VAE and reuses its latent distribution
 * (mean and standard deviation) for the rest of the run; every step still draws a fresh sample
 * from it, so training sees the same distribution of latents as without the cache.
 *
 * <p>Images are recognised by their content (a hash of the transformed pixels), so each variant
 * an image can take — flipped or not — is cached on its own, and nothing has to know how the data
 * augments. That only pays when an image yields few variants: with random crops every step brings
 * new pixels, so the trainer does not use the cache then.
 *
 * <p>The sample is {@code (mean + std·ε)·scaling} with ε drawn for the whole batch from the step's
 * {@link SeededNoise}, exactly as {@link StableDiffusionPipeline#encodeImages} draws it, so a cached
 * run differs from an uncached one only by the float rounding of encoding images one at a time
 * rather than in a batch.
 */
final class LatentCache implements AutoCloseable {
    private record Entry(NDArray mean, NDArray std) {}

    private final AutoencoderKL vae;
    private final NDManager store;
    private final Map<String, Entry> entries = new HashMap<>();
    private long hits;
    private double encodeSeconds;
    private long encoded;

    LatentCache(AutoencoderKL vae) {
        this.vae = vae;
        this.store = Engines.pytorch().newBaseManager();
    }

    /** The scaled latent sample of each image (B, 3, H, W) in [−1, 1], as the pipeline would draw it. */
    NDArray encode(NDArray images, SeededNoise random) {
        int batch = (int) images.getShape().get(0);
        List<String> keys = new ArrayList<>(batch);
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            String key = key(images, i);
            keys.add(key);
            if (!entries.containsKey(key) && !keys.subList(0, i).contains(key)) {
                missing.add(i);
            } else {
                hits++;
            }
        }
        if (!missing.isEmpty()) {
            long started = System.nanoTime();
            for (int i : missing) {
                encodeOne(images, i, keys.get(i));
            }
            encodeSeconds += (System.nanoTime() - started) / 1e9;
            encoded += missing.size();
        }
        NDManager manager = images.getManager();
        NDList means = new NDList(batch);
        NDList stds = new NDList(batch);
        for (String key : keys) {
            Entry e = entries.get(key);
            means.add(e.mean());
            stds.add(e.std());
        }
        NDArray mean = NDArrays.concat(means, 0);
        mean.attach(manager);
        NDArray std = NDArrays.concat(stds, 0);
        std.attach(manager);
        NDArray noise = random.normal(manager, mean.getShape());
        return mean.add(std.mul(noise)).mul((float) vae.config().scalingFactor());
    }

    private void encodeOne(NDArray images, int i, String key) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            DiagonalGaussianDistribution posterior = vae.encode(images.get(new NDIndex("{}:{}", i, i + 1)));
            NDArray mean = posterior.mean().duplicate();
            NDArray std = posterior.std().duplicate();
            NDScope.unregister(mean, std);
            mean.attach(store);
            std.attach(store);
            entries.put(key, new Entry(mean, std));
        }
    }

    /** A content hash of image {@code i}'s pixels. */
    private static String key(NDArray images, int i) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            NDArray image = images.get(new NDIndex("{}", i));
            HostArrays.readInPlace(image, image.getDataType(), (ByteBuffer bytes) -> digest.update(bytes));
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    /** Distinct images encoded so far. */
    long encodedImages() {
        return encoded;
    }

    /** Encodings the cache saved: images served from it. */
    long hits() {
        return hits;
    }

    /** What the cache saved, for the log: encodings avoided and the VAE time that would have cost. */
    String summary() {
        double perImage = encoded == 0 ? 0 : encodeSeconds / encoded;
        return String.format(Locale.ROOT, "latent cache: %d image variants encoded once (%.2f s each), %d encodings saved"
                + " (about %.1f s of VAE time)", encoded, perImage, hits, hits * perImage);
    }

    @Override
    public void close() {
        entries.clear();
        store.close();
    }
}
