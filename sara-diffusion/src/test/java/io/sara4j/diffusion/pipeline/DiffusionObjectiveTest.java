package io.sara4j.diffusion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.scheduler.DdpmScheduler;
import io.sara4j.diffusion.scheduler.SchedulerConfig;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DiffusionObjectiveTest {
    private static DdpmScheduler scheduler(String predictionType) {
        return new DdpmScheduler(SchedulerConfig.fromJson("{\"num_train_timesteps\": 1000, \"beta_start\": 0.00085,"
                + " \"beta_end\": 0.012, \"beta_schedule\": \"scaled_linear\", \"prediction_type\": \"" + predictionType + "\"}"));
    }

    /** ᾱ_t for the scaled-linear schedule, in float64 from its definition. */
    private static double alphaBar(int t) {
        double prod = 1;
        double a = Math.sqrt(0.00085);
        double b = Math.sqrt(0.012);
        for (int i = 0; i <= t; i++) {
            double beta = Math.pow(a + (b - a) * i / 999.0, 2);
            prod *= 1 - beta;
        }
        return prod;
    }

    @ParameterizedTest
    @ValueSource(strings = {"epsilon", "v_prediction"})
    void lossIsMseToTheTargetOnTheNoisedSample(String predictionType) {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            Shape shape = new Shape(3, 2, 2, 2);
            double[] x0 = Tensors.normal(new Random(4), (int) shape.size());
            NDArray[] seen = new NDArray[2];
            // a denoiser with a known output: 0.5·x_t, so the expected loss is computable by hand
            Denoiser model = (noisy, t, cond) -> {
                seen[0] = noisy;
                seen[1] = t;
                return noisy.mul(0.5f);
            };
            NDArray cond = m.zeros(new Shape(3, 4, 8));
            NDArray loss = new DiffusionObjective(scheduler(predictionType))
                    .loss(model, Tensors.float32(m, x0, shape), cond, new SeededNoise(99));

            // replay the same draws: noise first, then timesteps
            SeededNoise replay = new SeededNoise(99);
            double[] eps = Tensors.toDoubles(replay.normal(m, shape));
            long[] ts = replay.integers(m, 3, 1000).toLongArray();
            assertThat(seen[1].toLongArray()).containsExactly(ts);

            int per = (int) (shape.size() / 3);
            double[] noisy = new double[x0.length];
            double sum = 0;
            for (int i = 0; i < x0.length; i++) {
                double ab = alphaBar((int) ts[i / per]);
                noisy[i] = Math.sqrt(ab) * x0[i] + Math.sqrt(1 - ab) * eps[i];
                double target = predictionType.equals("epsilon")
                        ? eps[i] : Math.sqrt(ab) * eps[i] - Math.sqrt(1 - ab) * x0[i];
                double diff = 0.5 * noisy[i] - target;
                sum += diff * diff;
            }
            assertThat(Tensors.maxRelativeError(Tensors.toDoubles(seen[0]), noisy)).isLessThan(1e-5);
            assertThat(loss.getShape().isScalar()).isTrue();
            assertThat((double) loss.getFloat()).isCloseTo(sum / x0.length, org.assertj.core.api.Assertions.within(1e-5 * sum / x0.length));
        }
    }

    @Test
    void sameSeedGivesSameLossDifferentSeedDiffers() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            Shape shape = new Shape(2, 1, 2, 2);
            NDArray x0 = Tensors.float32(m, Tensors.normal(new Random(1), 8), shape);
            NDArray cond = m.zeros(new Shape(2, 1, 1));
            Denoiser model = (noisy, t, c) -> noisy;
            DiffusionObjective objective = new DiffusionObjective(scheduler("epsilon"));
            float a = objective.loss(model, x0, cond, new SeededNoise(5)).getFloat();
            float b = objective.loss(model, x0, cond, new SeededNoise(5)).getFloat();
            float c = objective.loss(model, x0, cond, new SeededNoise(6)).getFloat();
            assertThat(a).isEqualTo(b);
            assertThat(a).isNotEqualTo(c);
        }
    }
}
