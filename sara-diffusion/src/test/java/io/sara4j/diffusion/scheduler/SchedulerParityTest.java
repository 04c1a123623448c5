package io.sara4j.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sara4j.core.io.SafetensorsFile;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.Parity;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * The scheduler fixtures of diffusers 0.27.2 ({@code parity/schedulers/}, described by
 * {@code configs.json}): schedules, timesteps, add_noise, get_velocity and the full 10-step loops
 * with the recorded model outputs (and DDPM's variance noise), each within 1e-4 absolute + 1e-4
 * relative. The fixtures are read with core's {@link SafetensorsFile}.
 */
class SchedulerParityTest extends EngineTestBase {
    private static JsonNode fixtureDescription(String key) throws IOException {
        try (InputStream in = SchedulerParityTest.class.getResourceAsStream("/parity/schedulers/configs.json")) {
            return new ObjectMapper().readTree(in).get(key);
        }
    }

    private static SafetensorsFile tensors(JsonNode description) throws IOException, URISyntaxException {
        Path file = Path.of(SchedulerParityTest.class.getResource("/parity/schedulers/"
                + description.get("file").asText()).toURI());
        return SafetensorsFile.open(file);
    }

    private static void assertClose(String what, NDArray actual, NDArray expected) {
        Parity.assertClose(what, actual, expected);
    }

    private static void assertClose(String what, float[] actual, NDArray expected) {
        assertClose(what, expected.getManager().create(actual, expected.getShape()), expected);
    }

    private static void assertSameTimesteps(double[] actual, NDArray expected) {
        double[] e = expected.toType(DataType.FLOAT64, true).toDoubleArray();
        assertThat(actual).containsExactly(e);
    }

    private void checkSchedule(NoiseSchedule schedule, SafetensorsFile f) {
        assertClose("betas", schedule.betas(), f.load("betas", manager));
        assertClose("alphas_cumprod", schedule.alphasCumprod(), f.load("alphas_cumprod", manager));
    }

    private void checkAddNoiseAndVelocity(Scheduler s, SafetensorsFile f, NoiseSchedule schedule) {
        NDArray x0 = f.load("add_noise.original_samples", manager);
        NDArray noise = f.load("add_noise.noise", manager);
        NDArray t = f.load("add_noise.timesteps", manager);
        assertClose("add_noise", s.addNoise(x0, noise, t), f.load("add_noise.out", manager));
        if (f.names().contains("get_velocity.out")) {
            assertClose("get_velocity", schedule.velocity(x0, noise, t), f.load("get_velocity.out", manager));
        }
    }

    /**
     * The recorded sampling loop from {@code loop.initial_sample} · init_noise_sigma: at each step
     * the model input (where the fixture records it), x̂_0 and x_{t−1} must match diffusers'; step
     * i draws its fresh noise from {@code noise.apply(i)}.
     */
    private void checkLoop(Scheduler s, SafetensorsFile f, IntFunction<NoiseSource> noise) {
        NDArray outputs = f.load("loop.model_outputs", manager);
        NDArray scaled = f.contains("loop.scaled_model_input") ? f.load("loop.scaled_model_input", manager) : null;
        NDArray prev = f.load("loop.prev_sample", manager);
        NDArray pred = f.load("loop.pred_original_sample", manager);
        NDArray sample = f.load("loop.initial_sample", manager).mul((float) s.initNoiseSigma());
        double[] timesteps = s.timesteps();
        for (int i = 0; i < timesteps.length; i++) {
            if (scaled != null) {
                assertClose("loop.scaled_model_input[" + i + "]", s.scaleModelInput(sample, timesteps[i]),
                        scaled.get(i));
            }
            StepOutput out = s.step(outputs.get(i), timesteps[i], sample, noise.apply(i));
            assertClose("loop.pred_original_sample[" + i + "]", out.predOriginalSample(), pred.get(i));
            assertClose("loop.prev_sample[" + i + "]", out.prevSample(), prev.get(i));
            sample = out.prevSample();
        }
    }

    @Test
    void ddpmScaledLinearEpsilon() throws Exception {
        JsonNode d = fixtureDescription("ddpm_scaled_linear_epsilon");
        DdpmScheduler s = new DdpmScheduler(SchedulerConfig.fromJson(d.get("config").toString()));
        try (SafetensorsFile f = tensors(d)) {
            checkSchedule(s.noiseSchedule(), f);
            checkAddNoiseAndVelocity(s, f, s.noiseSchedule());
            s.setTimesteps(d.at("/calls/set_timesteps").asInt());
            assertSameTimesteps(s.timesteps(), f.load("timesteps", manager));
            NDArray varianceNoise = f.load("loop.variance_noise", manager);
            checkLoop(s, f, i -> NoiseSource.fixed(varianceNoise.get(i)));
        }
    }

    @Test
    void ddimLeadingEpsilon() throws Exception {
        JsonNode d = fixtureDescription("ddim_leading_epsilon");
        DdimScheduler s = new DdimScheduler(SchedulerConfig.fromJson(d.get("config").toString()), 0.0);
        try (SafetensorsFile f = tensors(d)) {
            checkSchedule(s.noiseSchedule(), f);
            checkAddNoiseAndVelocity(s, f, s.noiseSchedule());
            s.setTimesteps(d.at("/calls/set_timesteps").asInt());
            assertSameTimesteps(s.timesteps(), f.load("timesteps", manager));
            checkLoop(s, f, i -> NoiseSource.none());
        }
    }

    @Test
    void eulerLeadingEpsilon() throws Exception {
        JsonNode d = fixtureDescription("euler_leading_epsilon");
        EulerDiscreteScheduler s = new EulerDiscreteScheduler(SchedulerConfig.fromJson(d.get("config").toString()));
        try (SafetensorsFile f = tensors(d)) {
            checkSchedule(s.noiseSchedule(), f);
            s.setTimesteps(d.at("/calls/set_timesteps").asInt());
            assertSameTimesteps(s.timesteps(), f.load("timesteps", manager));
            assertClose("sigmas", s.sigmas(), f.load("sigmas", manager));
            assertClose("init_noise_sigma", new float[] {(float) s.initNoiseSigma()}, f.load("init_noise_sigma", manager));
            checkAddNoiseAndVelocity(s, f, s.noiseSchedule());
            assertThat(f.contains("loop.scaled_model_input")).as("Euler scales the model input").isTrue();
            checkLoop(s, f, i -> NoiseSource.none());
        }
    }
}
