package io.sara4j.diffusion.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchedulerConfigTest {
    @Test
    void absentKeysTakeDiffusersDefaults() {
        SchedulerConfig c = SchedulerConfig.defaults();
        assertThat(c.className()).isNull();
        assertThat(c.numTrainTimesteps()).isEqualTo(1000);
        assertThat(c.betaStart()).isEqualTo(0.0001);
        assertThat(c.betaEnd()).isEqualTo(0.02);
        assertThat(c.betaSchedule()).isEqualTo(BetaSchedule.LINEAR);
        assertThat(c.trainedBetas()).isNull();
        assertThat(c.predictionType()).isEqualTo(PredictionType.EPSILON);
        assertThat(c.varianceType()).isEqualTo(VarianceType.FIXED_SMALL);
        assertThat(c.clipSample()).isTrue();
        assertThat(c.clipSampleRange()).isEqualTo(1.0);
        assertThat(c.setAlphaToOne()).isTrue();
        assertThat(c.stepsOffset()).isZero();
        assertThat(c.timestepSpacing()).isNull();
        assertThat(c.timestepSpacingOr(TimestepSpacing.LINSPACE)).isEqualTo(TimestepSpacing.LINSPACE);
    }

    @Test
    void fixtureConfigsBind() throws IOException {
        JsonNode configs;
        try (InputStream in = getClass().getResourceAsStream("/parity/schedulers/configs.json")) {
            configs = new ObjectMapper().readTree(in);
        }
        SchedulerConfig ddim = SchedulerConfig.fromJson(configs.at("/ddim_leading_epsilon/config").toString());
        assertThat(ddim.className()).isEqualTo("DDIMScheduler");
        assertThat(ddim.betaSchedule()).isEqualTo(BetaSchedule.SCALED_LINEAR);
        assertThat(ddim.betaStart()).isEqualTo(0.00085);
        assertThat(ddim.betaEnd()).isEqualTo(0.012);
        assertThat(ddim.clipSample()).isFalse();
        assertThat(ddim.setAlphaToOne()).isFalse();
        assertThat(ddim.stepsOffset()).isEqualTo(1);
        assertThat(ddim.timestepSpacing()).isEqualTo(TimestepSpacing.LEADING);

        SchedulerConfig euler = SchedulerConfig.fromJson(configs.at("/euler_leading_epsilon/config").toString());
        assertThat(euler.interpolationType()).isEqualTo("linear");
        assertThat(euler.useKarrasSigmas()).isFalse();

        SchedulerConfig ddpm = SchedulerConfig.fromJson(configs.at("/ddpm_scaled_linear_epsilon/config").toString());
        assertThat(ddpm.varianceType()).isEqualTo(VarianceType.FIXED_SMALL);
        assertThat(ddpm.stepsOffset()).isZero();
    }

    @Test
    void stableDiffusionPndmConfigLoadsAndUnknownKeysAreNotFatal(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("scheduler_config.json");
        Files.writeString(file, "{\"_class_name\": \"PNDMScheduler\", \"_diffusers_version\": \"0.6.0\","
                + " \"beta_end\": 0.012, \"beta_schedule\": \"scaled_linear\", \"beta_start\": 0.00085,"
                + " \"num_train_timesteps\": 1000, \"set_alpha_to_one\": false, \"skip_prk_steps\": true,"
                + " \"steps_offset\": 1, \"trained_betas\": null, \"clip_sample\": false,"
                + " \"some_future_key\": [1, 2]}");
        SchedulerConfig c = SchedulerConfig.load(file);
        assertThat(c.className()).isEqualTo("PNDMScheduler");
        assertThat(c.betaSchedule()).isEqualTo(BetaSchedule.SCALED_LINEAR);
        assertThat(c.stepsOffset()).isEqualTo(1);
    }

    @Test
    void sd2VPredictionConfigBinds() {
        SchedulerConfig c = SchedulerConfig.fromJson("{\"prediction_type\": \"v_prediction\","
                + " \"timestep_spacing\": \"trailing\", \"beta_schedule\": \"squaredcos_cap_v2\"}");
        assertThat(c.predictionType()).isEqualTo(PredictionType.V_PREDICTION);
        assertThat(c.timestepSpacing()).isEqualTo(TimestepSpacing.TRAILING);
        assertThat(c.betaSchedule()).isEqualTo(BetaSchedule.SQUAREDCOS_CAP_V2);
    }

    @Test
    void unsupportedValuesNameTheFieldAndTheAllowedValues() {
        assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"beta_schedule\": \"sigmoid\"}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'sigmoid'").hasMessageContaining("`beta_schedule`")
                .hasMessageContaining("supported: linear, scaled_linear, squaredcos_cap_v2");
        assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"prediction_type\": \"sample\"}"))
                .hasMessageContaining("`prediction_type`").hasMessageContaining("supported: epsilon, v_prediction");
        assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"timestep_spacing\": \"uniform\"}"))
                .hasMessageContaining("`timestep_spacing`").hasMessageContaining("supported: leading, trailing, linspace");
        assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"variance_type\": \"learned_range\"}"))
                .hasMessageContaining("`variance_type`").hasMessageContaining("supported: fixed_small");
        assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"thresholding\": true}"))
                .hasMessageContaining("`thresholding`").hasMessageContaining("supported: false");
        assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"use_karras_sigmas\": true}"))
                .hasMessageContaining("`use_karras_sigmas`");
        assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"interpolation_type\": \"log_linear\"}"))
                .hasMessageContaining("`interpolation_type`").hasMessageContaining("supported: linear");
        assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"timestep_type\": \"continuous\"}"))
                .hasMessageContaining("`timestep_type`");
    }

    @Test
    void invalidNumbersAndShapesAreRejected() {
        assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"num_train_timesteps\": 0}"))
                .hasMessageContaining("`num_train_timesteps`");
        assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"beta_end\": 1.5}")).hasMessageContaining("`beta_end`");
        assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"steps_offset\": -1}")).hasMessageContaining("`steps_offset`");
        assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"num_train_timesteps\": 3, \"trained_betas\": [0.1, 0.2]}"))
                .hasMessageContaining("trained_betas has 2 values");
        assertThatThrownBy(() -> SchedulerConfig.fromJson("{\"clip_sample\": null}"))
                .hasMessageContaining("clip_sample");
        assertThat(SchedulerConfig.fromJson("{\"num_train_timesteps\": 2, \"trained_betas\": [0.1, 0.2]}")
                .trainedBetas()).containsExactly(0.1, 0.2);
    }

    @Test
    void malformedFileIsNamed(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("scheduler_config.json");
        Files.writeString(file, "{\"beta_start\": ");
        assertThatThrownBy(() -> SchedulerConfig.load(file))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(file.toString());
        Files.writeString(file, "[1]");
        assertThatThrownBy(() -> SchedulerConfig.load(file)).hasMessageContaining("must hold a JSON object");
        Files.writeString(file, "{\"beta_schedule\": \"cosine\"}");
        assertThatThrownBy(() -> SchedulerConfig.load(file)).hasMessageContaining(file.toString())
                .hasMessageContaining("`beta_schedule`");
    }

    @Test
    void toJsonRoundTrips() throws IOException {
        JsonNode configs;
        try (InputStream in = getClass().getResourceAsStream("/parity/schedulers/configs.json")) {
            configs = new ObjectMapper().readTree(in);
        }
        StringBuilder betas = new StringBuilder("[");
        for (int i = 0; i < 10; i++) {
            betas.append(i == 0 ? "" : ", ").append(0.001 * (i + 1) / 3);
        }
        SchedulerConfig[] all = {
            SchedulerConfig.defaults(),
            SchedulerConfig.fromJson(configs.at("/ddim_leading_epsilon/config").toString()),
            SchedulerConfig.fromJson(configs.at("/euler_leading_epsilon/config").toString()),
            SchedulerConfig.fromJson("{\"prediction_type\": \"v_prediction\", \"timestep_spacing\": \"trailing\","
                    + " \"beta_schedule\": \"squaredcos_cap_v2\", \"clip_sample_range\": 2.5}"),
            SchedulerConfig.fromJson("{\"num_train_timesteps\": 10, \"trained_betas\": " + betas + "]}"),
        };
        for (SchedulerConfig c : all) {
            assertThat(SchedulerConfig.fromJson(c.toJson())).isEqualTo(c);
        }
        assertThat(all[1].toJson()).contains("\"_class_name\" : \"DDIMScheduler\"")
                .contains("\"timestep_spacing\" : \"leading\"");
    }

    @Test
    void predictionTypeNamesParseAndSampleIsRefusedWithTheReason() {
        assertThat(PredictionType.fromName("epsilon")).isEqualTo(PredictionType.EPSILON);
        assertThat(PredictionType.fromName("v_prediction")).isEqualTo(PredictionType.V_PREDICTION);
        assertThatThrownBy(() -> PredictionType.fromName("sample"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'sample'")
                .hasMessageContaining("not supported");
        assertThatThrownBy(() -> PredictionType.fromName("v"))
                .hasMessageContaining("supported: epsilon, v_prediction");
    }
}
