package io.sara4j.diffusion.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.List;

/**
 * What the training loop reads: a fixed number of image–caption examples, fetched by index. An
 * image folder ({@link ImageCaptionDataset}) and the in-memory shapes benchmark
 * ({@link io.sara4j.diffusion.data.shapes.ShapesTrainingSet}) are the two sources.
 *
 * <p>Both methods must be pure functions of their arguments, so that a resumed run reads exactly
 * the batches an uninterrupted one would.
 */
public interface TrainingData {
    /** Number of examples. */
    int size();

    /** The captions (with any prefix) of the given examples, in order. */
    List<String> captions(int[] indices);

    /**
     * The images of the given examples as a (B, 3, h, w) float32 batch (h = w = R unless bucketed) in [−1, 1], created in
     * {@code manager}; random augmentation, if any, is fixed by {@code augmentationSeed}.
     *
     * @throws IOException if an image cannot be read
     */
    NDArray images(NDManager manager, int[] indices, long augmentationSeed) throws IOException;

    /**
     * The batches to train on: by default {@link BatchSampler}, shuffling all examples together. A
     * source whose examples do not all share one size (aspect-ratio buckets) returns a sampler whose
     * batches {@link #images} can stack.
     */
    default Sampler sampler(int batchSize, long seed) {
        return new BatchSampler(size(), batchSize, seed);
    }
}
