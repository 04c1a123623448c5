package io.sara4j.diffusion.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.pipeline.SeededNoise;
import io.sara4j.diffusion.pipeline.StableDiffusionPipeline;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.TinyPipelines;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Cached latents equal fresh encodings: the same posterior sample, drawn with the same noise, as
 * {@link StableDiffusionPipeline#encodeImages}, whether an image is encoded now or served from the
 * cache; a flipped variant is a separate entry.
 */
class LatentCacheTest extends EngineTestBase {
    @Test
    void cachedLatentsEqualFreshEncodingsAndEachVariantIsEncodedOnce() throws Exception {
        StableDiffusionPipeline pipeline = TinyPipelines.build(manager, true);
        Random random = new Random(3);
        Shape shape = new Shape(3, 3, 16, 16);
        NDArray images = Tensors.float32(manager, Tensors.uniform(random, (int) shape.size(), 1.0), shape);
        NDArray flipped = images.flip(3);
        try (LatentCache cache = new LatentCache(pipeline.vae())) {
            for (int round = 0; round < 2; round++) {
                NDArray fresh = pipeline.encodeImages(images, new SeededNoise(40 + round));
                NDArray cached = cache.encode(images, new SeededNoise(40 + round));
                assertThat(cached.getShape()).isEqualTo(fresh.getShape());
                assertThat(Tensors.maxRelativeError(Tensors.toDoubles(cached), Tensors.toDoubles(fresh)))
                        .as("round " + round).isLessThan(1e-5);
            }
            assertThat(cache.encodedImages()).isEqualTo(3);
            assertThat(cache.hits()).isEqualTo(3);

            // a batch mixing a cached image, its flip and a repeat: only the flip is new
            NDArray mixed = NDArrays.concat(new NDList(images.get(new NDIndex("0:1")), flipped.get(new NDIndex("0:1")),
                    images.get(new NDIndex("0:1"))), 0);
            NDArray fresh = pipeline.encodeImages(mixed, new SeededNoise(7));
            NDArray cached = cache.encode(mixed, new SeededNoise(7));
            assertThat(Tensors.maxRelativeError(Tensors.toDoubles(cached), Tensors.toDoubles(fresh))).isLessThan(1e-5);
            assertThat(cache.encodedImages()).isEqualTo(4);
            assertThat(cache.summary()).contains("4 image variants encoded once", "encodings saved");
        }
    }
}
