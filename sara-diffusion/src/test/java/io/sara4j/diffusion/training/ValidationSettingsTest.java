package io.sara4j.diffusion.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValidationSettingsTest {
    @Test
    void defaultsAreTheDocumentedOnes() {
        ValidationSettings d = ValidationSettings.defaults();
        assertThat(d.prompts()).isEmpty();
        assertThat(d.sampleEvery()).isEqualTo(100);
        assertThat(d.inferenceSteps()).isEqualTo(25);
        assertThat(d.guidance()).isEqualTo(7.5);
        assertThat(d.imageSize()).isZero();
        assertThat(d.lossTimesteps()).isEqualTo(8);
        assertThat(d.lossBatchSize()).isEqualTo(4);
        assertThat(d.hasHeldOut()).isFalse();
        assertThat(d.withValidationSplit(0.1).hasHeldOut()).isTrue();
    }

    @Test
    void everyBadFieldIsNamed() {
        ValidationSettings d = ValidationSettings.defaults();
        assertThatThrownBy(() -> d.withSampleEvery(0)).hasMessageContaining("sampleEvery");
        assertThatThrownBy(() -> d.withPrompts(List.of("a", " "))).hasMessageContaining("prompts[1]");
        assertThatThrownBy(() -> d.withSampling(0, 7.5, 0)).hasMessageContaining("inferenceSteps");
        assertThatThrownBy(() -> d.withSampling(1, Double.NaN, 0)).hasMessageContaining("guidance");
        assertThatThrownBy(() -> d.withSampling(1, 7.5, -1)).hasMessageContaining("imageSize");
        assertThatThrownBy(() -> d.withValidationSplit(1)).hasMessageContaining("validationSplit");
        assertThatThrownBy(() -> d.withLoss(0, 1)).hasMessageContaining("lossTimesteps");
        assertThatThrownBy(() -> d.withLoss(1, 0)).hasMessageContaining("lossBatchSize");
        assertThat(d.withValidationData(Path.of("v")).withValidationSplit(0.1).validationData()).isNull();
        assertThatThrownBy(() -> new ValidationSettings(List.of(), 1, 0, 1, 1, 0, d.sampler(), Path.of("v"), 0.1, 1, 1))
                .hasMessageContaining("validationData and validationSplit");
    }
}
