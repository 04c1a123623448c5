package io.sara4j.diffusion.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import io.sara4j.diffusion.pipeline.Images;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ImageCaptionDataset} with {@link DatasetOptions#buckets()}: R = 64, step 16. */
class BucketedDatasetTest {
    @TempDir
    Path dir;

    private ImageCaptionDataset open(boolean cache) throws IOException {
        int[][] sizes = {{64, 64}, {96, 64}, {40, 160}, {70, 70}, {90, 60}};
        StringBuilder metadata = new StringBuilder();
        for (int k = 0; k < sizes.length; k++) {
            int w = sizes[k][0];
            int h = sizes[k][1];
            int[] pixels = new int[w * h];
            for (int p = 0; p < pixels.length; p++) {
                pixels[p] = (int) ((p * 2654435761L + k * 77L) & 0xffffff);
            }
            Images.writePng(RgbImage.of(w, h, pixels).toBufferedImage(), dir.resolve(k + ".png"));
            metadata.append("{\"file_name\": \"").append(k).append(".png\", \"text\": \"").append(k).append("\"}\n");
        }
        Files.writeString(dir.resolve("metadata.jsonl"), metadata);
        return ImageCaptionDataset.open(dir, DatasetOptions.builder().setResolution(64).optBuckets(true)
                .optBucketStep(16).optCacheImages(cache).optSeed(3).build());
    }

    @Test
    void imagesGetTheirBucketsAndTheTableIsPrintable() throws IOException {
        ImageCaptionDataset data = open(false);
        assertThat(data.buckets()).containsExactly(new Bucket(64, 64), new Bucket(80, 48), new Bucket(32, 128),
                new Bucket(64, 64), new Bucket(80, 48));
        assertThat(data.bucketTable()).isPresent();
        assertThat(data.bucketSummary()).contains("80x48        1.67       2", "5 images (resolution 64, step 16)");
        assertThat(data.sampler(2, 1)).isInstanceOf(BucketBatchSampler.class);
    }

    @Test
    void everyBatchOfTheSamplerStacksToItsBucketSize() throws IOException {
        for (boolean cache : new boolean[] {false, true}) {
            ImageCaptionDataset data = open(cache);
            Sampler sampler = data.sampler(2, 1);
            try (NDManager manager = Engines.pytorch().newBaseManager()) {
                for (int[] batch : sampler.epoch(0)) {
                    Bucket bucket = data.bucket(batch[0]);
                    NDArray images = data.images(manager, batch, 11);
                    assertThat(images.getShape())
                            .isEqualTo(new Shape(batch.length, 3, bucket.height(), bucket.width()));
                    assertThat(images.min().getFloat()).isGreaterThanOrEqualTo(-1f);
                    assertThat(images.max().getFloat()).isLessThanOrEqualTo(1f);
                }
            }
        }
    }

    @Test
    void cachedAndUncachedBatchesAreEqualAndMixedBatchesAreRefused() throws IOException {
        ImageCaptionDataset plain = open(false);
        ImageCaptionDataset cached = open(true);
        try (NDManager manager = Engines.pytorch().newBaseManager()) {
            int[] wide = {1, 4};
            assertThat(cached.images(manager, wide, 5).toFloatArray())
                    .containsExactly(plain.images(manager, wide, 5).toFloatArray());
            assertThatThrownBy(() -> plain.images(manager, new int[] {0, 1}, 5))
                    .hasMessageContaining("mixes buckets 64x64 (example 0) and 80x48 (example 1)");
        }
    }

    @Test
    void withoutBucketsEveryImageIsTheSquareAndTheSamplerIsThePlainOne() throws IOException {
        open(false);
        ImageCaptionDataset square = ImageCaptionDataset.open(dir, DatasetOptions.builder().setResolution(32).build());
        assertThat(square.buckets()).containsOnly(new Bucket(32, 32));
        assertThat(square.bucketTable()).isEmpty();
        assertThat(square.bucketSummary()).isEmpty();
        assertThat(square.sampler(2, 1)).isInstanceOf(BatchSampler.class);
        assertThat(List.of(square.sampler(2, 1).batch(0).length)).containsExactly(2);
    }
}
