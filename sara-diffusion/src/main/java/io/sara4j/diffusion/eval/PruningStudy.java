package io.sara4j.diffusion.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.HostArrays;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import io.sara4j.diffusion.pipeline.Denoiser;
import io.sara4j.diffusion.pipeline.SeededNoise;
import java.util.ArrayList;
import java.util.List;

/**
 * SaRA's premise, measured (paper §3.1, Fig. 2): zero every weight with |w| &lt; θ and see how
 * much the network's prediction moves. For each θ the study zeroes those entries in place,
 * runs the denoiser on a fixed probe batch, compares with the unpruned prediction and restores
 * the exact original values before the next θ.
 *
 * <p>The probe is seeded: standard normal samples, timesteps spread evenly over the training
 * range, and the given conditioning, so two runs report the same figures.
 */
public final class PruningStudy {
    /**
     * One threshold's outcome.
     *
     * @param theta the threshold
     * @param pruned entries set to zero
     * @param fraction their share of all targeted entries
     * @param relativeChange ‖ε_pruned − ε‖₂ / ‖ε‖₂ over the probe batch
     */
    public record Result(double theta, long pruned, double fraction, double relativeChange) {}

    /** Entries zeroed in one tensor: a flat view of it, their positions and their original values. */
    private record Zeroed(NDArray flat, NDArray positions, NDArray originals) {
        void restore() {
            flat.set(new NDIndex("{}", positions), originals);
        }
    }

    private PruningStudy() {}

    /**
     * Runs the study.
     *
     * @param model the module whose parameters are pruned (every parameter); restored on return
     * @param denoiser the network's forward, reading {@code model}'s parameters
     * @param conditioning (B, L, D) text states of the probe; B is the probe batch size
     * @param sampleShape (C, H, W) of one probe sample
     * @param numTrainTimesteps T; probe timesteps are spread over [0, T)
     */
    public static List<Result> run(Module model, Denoiser denoiser, NDArray conditioning, Shape sampleShape,
            int numTrainTimesteps, List<Double> thetas, long seed) {
        NDManager manager = conditioning.getManager();
        int batch = (int) conditioning.getShape().get(0);
        long[] dims = new long[sampleShape.dimension() + 1];
        dims[0] = batch;
        System.arraycopy(sampleShape.getShape(), 0, dims, 1, sampleShape.dimension());
        NDArray samples = new SeededNoise(seed).normal(manager, new Shape(dims));
        float[] steps = new float[batch];
        for (int i = 0; i < batch; i++) {
            steps[i] = (float) Math.floor((i + 0.5) * numTrainTimesteps / batch);
        }
        NDArray timesteps = HostArrays.of(manager, steps);
        NDArray reference = denoiser.predict(samples, timesteps, conditioning);
        double referenceNorm = norm(reference);
        long total = model.parameterCount();
        List<Result> results = new ArrayList<>();
        for (double theta : thetas) {
            List<Zeroed> zeroed = new ArrayList<>();
            long pruned = 0;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                for (Parameter p : model.namedParameters().values()) {
                    NDArray flat = p.data().reshape(-1); // a view: zeroing it edits the stored tensor
                    NDArray positions = flat.abs().lt((float) theta).nonzero().reshape(-1);
                    if (positions.size() == 0) {
                        continue;
                    }
                    NDIndex at = new NDIndex("{}", positions);
                    zeroed.add(new Zeroed(flat, positions, flat.get(at)));
                    flat.set(at, 0f);
                    pruned += positions.size();
                }
                try {
                    NDArray prunedOut = denoiser.predict(samples, timesteps, conditioning);
                    double change = norm(prunedOut.sub(reference)) / referenceNorm;
                    results.add(new Result(theta, pruned, (double) pruned / total, change));
                } finally {
                    zeroed.forEach(Zeroed::restore);
                }
            }
        }
        return results;
    }

    private static double norm(NDArray x) {
        return Math.sqrt(x.toType(DataType.FLOAT64, false).square().sum().getDouble());
    }
}
