package io.sara4j.diffusion.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.sara4j.diffusion.data.SplitMix64;
import io.sara4j.diffusion.data.TrainingData;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * A dataset split into the part trained on and a held-out part for the validation loss. Both are
 * views of the original data (indices remapped), so images are read where they always were.
 *
 * @param train the examples trained on
 * @param heldOut the examples only evaluated
 */
public record TrainingSplit(TrainingData train, TrainingData heldOut) {
    /**
     * Holds out max(1, round(fraction·n)) examples chosen by a Fisher–Yates permutation seeded with
     * {@code seed}: the same data, fraction and seed give the same split. Both parts keep the
     * original order.
     *
     * @throws IllegalArgumentException if the fraction is outside (0, 1) or leaves no training example
     */
    public static TrainingSplit byFraction(TrainingData data, double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("validation split must be in (0, 1), got " + fraction);
        }
        int n = data.size();
        int held = Math.max(1, (int) Math.round(fraction * n));
        if (held >= n) {
            throw new IllegalArgumentException("validation split " + fraction + " of " + n
                    + " examples holds out " + held + ", leaving none to train on");
        }
        int[] order = new SplitMix64(seed).permutation(n);
        int[] heldOut = Arrays.copyOfRange(order, 0, held);
        int[] train = Arrays.copyOfRange(order, held, n);
        Arrays.sort(heldOut);
        Arrays.sort(train);
        return new TrainingSplit(subset(data, train), subset(data, heldOut));
    }

    /** The examples {@code indices} of {@code data}, in that order, as a dataset of their own. */
    public static TrainingData subset(TrainingData data, int[] indices) {
        int[] map = indices.clone();
        for (int i : map) {
            if (i < 0 || i >= data.size()) {
                throw new IllegalArgumentException("index " + i + " outside [0, " + data.size() + ")");
            }
        }
        return new Subset(data, map);
    }

    private record Subset(TrainingData data, int[] map) implements TrainingData {
        @Override
        public int size() {
            return map.length;
        }

        @Override
        public List<String> captions(int[] indices) {
            return data.captions(remap(indices));
        }

        @Override
        public NDArray images(NDManager manager, int[] indices, long augmentationSeed) throws IOException {
            return data.images(manager, remap(indices), augmentationSeed);
        }

        private int[] remap(int[] indices) {
            int[] out = new int[indices.length];
            for (int i = 0; i < indices.length; i++) {
                out[i] = map[indices[i]];
            }
            return out;
        }
    }
}
