package io.sara4j.diffusion.scheduler;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sara4j.diffusion.loading.ConfigJson;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A diffusers {@code scheduler_config.json}: the keys of {@code DDPMScheduler},
 * {@code DDIMScheduler} and {@code EulerDiscreteScheduler} (diffusers 0.27) that Stable Diffusion
 * 1.x/2.x folders use, with diffusers' defaults for absent keys. The same file drives every
 * scheduler (SD folders ship a PNDM config that pipelines reuse for DDIM or Euler); each scheduler
 * reads the keys that concern it.
 *
 * <p>Supported values are checked when the record is built; anything else fails with the field
 * and the supported values. Unknown keys are logged and ignored.
 *
 * @param className {@code _class_name}, informational (null when absent)
 * @param numTrainTimesteps {@code num_train_timesteps} T (1000)
 * @param betaStart {@code beta_start} (0.0001)
 * @param betaEnd {@code beta_end} (0.02)
 * @param betaSchedule {@code beta_schedule} (linear)
 * @param trainedBetas {@code trained_betas}: T explicit betas replacing the schedule, or null
 * @param predictionType {@code prediction_type} (epsilon)
 * @param varianceType {@code variance_type}, DDPM only (fixed_small)
 * @param clipSample {@code clip_sample}: clamp predicted x_0 to ±{@code clip_sample_range},
 *     DDPM/DDIM (true, as in diffusers; SD configs set false)
 * @param clipSampleRange {@code clip_sample_range} (1.0)
 * @param thresholding {@code thresholding}: must be false (dynamic thresholding is not supported)
 * @param setAlphaToOne {@code set_alpha_to_one}, DDIM: ᾱ before the first step is 1, else ᾱ_0
 *     (true)
 * @param stepsOffset {@code steps_offset}, added to {@code leading} timesteps (0)
 * @param timestepSpacing {@code timestep_spacing}; null when absent, meaning each scheduler's
 *     diffusers default ({@link #timestepSpacingOr})
 * @param rescaleBetasZeroSnr {@code rescale_betas_zero_snr}: rescale the betas to zero terminal
 *     SNR (ᾱ_T = 0; Lin et al. 2024), used with {@code v_prediction} and {@code trailing} spacing
 *     (false)
 * @param interpolationType {@code interpolation_type}, Euler: must be {@code linear}
 * @param useKarrasSigmas {@code use_karras_sigmas}, Euler: must be false
 * @param timestepType {@code timestep_type}, Euler: must be {@code discrete}
 */
public record SchedulerConfig(
        @JsonProperty("_class_name") String className,
        @JsonProperty("num_train_timesteps") int numTrainTimesteps,
        @JsonProperty("beta_start") double betaStart,
        @JsonProperty("beta_end") double betaEnd,
        @JsonProperty("beta_schedule") BetaSchedule betaSchedule,
        @JsonProperty("trained_betas") List<Double> trainedBetas,
        @JsonProperty("prediction_type") PredictionType predictionType,
        @JsonProperty("variance_type") VarianceType varianceType,
        @JsonProperty("clip_sample") boolean clipSample,
        @JsonProperty("clip_sample_range") double clipSampleRange,
        @JsonProperty("thresholding") boolean thresholding,
        @JsonProperty("set_alpha_to_one") boolean setAlphaToOne,
        @JsonProperty("steps_offset") int stepsOffset,
        @JsonProperty("timestep_spacing") TimestepSpacing timestepSpacing,
        @JsonProperty("rescale_betas_zero_snr") boolean rescaleBetasZeroSnr,
        @JsonProperty("interpolation_type") String interpolationType,
        @JsonProperty("use_karras_sigmas") boolean useKarrasSigmas,
        @JsonProperty("timestep_type") String timestepType) {

    private static final Logger LOG = LoggerFactory.getLogger(SchedulerConfig.class);

    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /** diffusers' defaults for every bound key (timestep_spacing differs per class, so it has none). */
    private static final String DEFAULTS = "{"
            + "\"num_train_timesteps\": 1000, \"beta_start\": 0.0001, \"beta_end\": 0.02,"
            + " \"beta_schedule\": \"linear\", \"prediction_type\": \"epsilon\","
            + " \"variance_type\": \"fixed_small\", \"clip_sample\": true, \"clip_sample_range\": 1.0,"
            + " \"thresholding\": false, \"set_alpha_to_one\": true, \"steps_offset\": 0,"
            + " \"rescale_betas_zero_snr\": false, \"interpolation_type\": \"linear\","
            + " \"use_karras_sigmas\": false, \"timestep_type\": \"discrete\"}";

    /**
     * Keys that diffusers writes but that only matter for features rejected above (thresholding,
     * Karras sigmas) or for other schedulers (PNDM's {@code skip_prk_steps} in SD1.x folders);
     * accepted without a log line.
     */
    private static final Set<String> QUIETLY_IGNORED = Set.of("_diffusers_version", "dynamic_thresholding_ratio",
            "sample_max_value", "sigma_min", "sigma_max", "skip_prk_steps");

    /** Checks every supported value, naming the field and what is allowed. */
    public SchedulerConfig {
        if (numTrainTimesteps < 1) {
            throw invalid("num_train_timesteps", numTrainTimesteps, "an integer >= 1");
        }
        require(betaSchedule, "beta_schedule", BetaSchedule.values());
        require(predictionType, "prediction_type", PredictionType.values());
        require(varianceType, "variance_type", VarianceType.values());
        if (trainedBetas != null) {
            trainedBetas = List.copyOf(trainedBetas);
            if (trainedBetas.size() != numTrainTimesteps) {
                throw new IllegalArgumentException("trained_betas has " + trainedBetas.size()
                        + " values but num_train_timesteps is " + numTrainTimesteps);
            }
            for (int i = 0; i < trainedBetas.size(); i++) {
                double b = trainedBetas.get(i);
                if (!(b > 0 && b < 1)) {
                    throw invalid("trained_betas[" + i + "]", b, "a value in (0, 1)");
                }
            }
        } else {
            if (!(betaStart > 0 && betaStart < 1)) {
                throw invalid("beta_start", betaStart, "a value in (0, 1)");
            }
            if (!(betaEnd > 0 && betaEnd < 1)) {
                throw invalid("beta_end", betaEnd, "a value in (0, 1)");
            }
        }
        if (!(clipSampleRange > 0)) {
            throw invalid("clip_sample_range", clipSampleRange, "a value > 0");
        }
        if (thresholding) {
            throw unsupported("thresholding", true, "false");
        }
        if (stepsOffset < 0) {
            throw invalid("steps_offset", stepsOffset, "an integer >= 0");
        }
        if (!"linear".equals(interpolationType)) {
            throw unsupported("interpolation_type", interpolationType, "linear");
        }
        if (useKarrasSigmas) {
            throw unsupported("use_karras_sigmas", true, "false");
        }
        if (!"discrete".equals(timestepType)) {
            throw unsupported("timestep_type", timestepType, "discrete");
        }
    }

    /** Every key at its diffusers default. */
    public static SchedulerConfig defaults() {
        return fromJson("{}");
    }

    /** Reads {@code file} (a {@code scheduler_config.json}); errors name the file. */
    public static SchedulerConfig load(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /** Parses the text of a {@code scheduler_config.json}; absent keys take diffusers' defaults. */
    public static SchedulerConfig fromJson(String json) {
        return parse(json, "scheduler config");
    }

    /**
     * This configuration as the text of a {@code scheduler_config.json}: every bound key, absent
     * values as null, so that {@link #fromJson} gives an equal record back.
     */
    public String toJson() {
        return ConfigJson.write(this);
    }

    /** The spacing the file gives, or {@code classDefault} when it gives none. */
    public TimestepSpacing timestepSpacingOr(TimestepSpacing classDefault) {
        return timestepSpacing != null ? timestepSpacing : classDefault;
    }

    private static SchedulerConfig parse(String json, String source) {
        ObjectNode merged;
        JsonNode given;
        try {
            merged = (ObjectNode) JSON.readTree(DEFAULTS);
            given = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (given == null || !given.isObject()) {
            throw new IllegalArgumentException(source + " must hold a JSON object");
        }
        logUnknownKeys(given, source);
        merged.setAll((ObjectNode) given);
        try {
            return JSON.treeToValue(merged, SchedulerConfig.class);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalArgumentException(source + ": " + cause.getMessage(), cause);
        } catch (InvalidFormatException e) {
            throw new IllegalArgumentException(source + ": " + describe(e), e);
        } catch (JsonMappingException e) {
            throw new IllegalArgumentException(source + ": bad value for `" + field(e) + "`: "
                    + e.getOriginalMessage(), e);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": " + e.getOriginalMessage(), e);
        }
    }

    private static void logUnknownKeys(JsonNode given, String source) {
        Set<String> known = Arrays.stream(SchedulerConfig.class.getRecordComponents())
                .map(SchedulerConfig::componentJsonName)
                .collect(Collectors.toSet());
        Set<String> unknown = new TreeSet<>();
        for (Iterator<String> it = given.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!known.contains(key) && !QUIETLY_IGNORED.contains(key)) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            LOG.warn("{}: ignoring keys not used by sara4j schedulers: {}", source, unknown);
        }
    }

    private static String componentJsonName(RecordComponent c) {
        JsonProperty p = c.getAnnotation(JsonProperty.class);
        if (p == null) {
            p = c.getAccessor().getAnnotation(JsonProperty.class);
        }
        return p != null ? p.value() : c.getName();
    }

    /** "unsupported value 'x' for `field` (supported: a, b)" for an unknown enum name. */
    private static String describe(InvalidFormatException e) {
        Class<?> target = e.getTargetType();
        String supported = target != null && target.isEnum()
                ? Arrays.stream(target.getEnumConstants()).map(Object::toString).collect(Collectors.joining(", "))
                : target == null ? "?" : target.getSimpleName();
        return "unsupported value '" + e.getValue() + "' for `" + field(e) + "` (supported: " + supported + ")";
    }

    private static String field(JsonMappingException e) {
        List<String> parts = new ArrayList<>();
        for (JsonMappingException.Reference r : e.getPath()) {
            parts.add(r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]");
        }
        return String.join(".", parts);
    }

    private static void require(Object value, String field, Object[] supported) {
        if (value == null) {
            throw new IllegalArgumentException("`" + field + "` must not be null (supported: "
                    + Arrays.stream(supported).map(Object::toString).collect(Collectors.joining(", ")) + ")");
        }
    }

    private static IllegalArgumentException invalid(String field, Object value, String expected) {
        return new IllegalArgumentException("invalid value " + value + " for `" + field + "` (expected " + expected + ")");
    }

    private static IllegalArgumentException unsupported(String field, Object value, String supported) {
        return new IllegalArgumentException("unsupported value " + value + " for `" + field
                + "` (supported: " + supported + ")");
    }
}
