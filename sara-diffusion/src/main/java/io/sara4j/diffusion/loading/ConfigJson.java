package io.sara4j.diffusion.loading;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a diffusers/transformers {@code config.json} into its immutable config record, and writes
 * one back ({@link #write}).
 *
 * <p>Keys the record does not bind are logged and skipped, never fatal: the libraries add fields
 * over time, and keys starting with {@code _} ({@code _class_name}, {@code _diffusers_version},
 * {@code _name_or_path}) are bookkeeping. A record rejects bad values in its compact constructor;
 * the resulting error names the file and the field.
 */
public final class ConfigJson {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigJson.class);
    private static final ObjectWriter WRITER = new ObjectMapper().writerWithDefaultPrettyPrinter();

    private ConfigJson() {}

    /**
     * Parses {@code file} as {@code type}.
     *
     * @throws IOException if the file cannot be read
     * @throws IllegalArgumentException naming the file if the JSON is malformed or a value is invalid
     */
    public static <T> T read(Path file, Class<T> type) throws IOException {
        String json;
        try {
            json = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": missing (expected the " + type.getSimpleName()
                    + " config.json)", e);
        }
        return parse(json, type, file.toString());
    }

    /**
     * Parses {@code json} as {@code type}; {@code source} names the origin in log lines and errors.
     *
     * @throws IllegalArgumentException naming {@code source} if the JSON is malformed or a value is invalid
     */
    public static <T> T parse(String json, Class<T> type, String source) {
        try {
            return mapper(source).readValue(json, type);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalArgumentException(source + ": " + cause.getMessage(), cause);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": not a valid " + type.getSimpleName() + " config: "
                    + e.getOriginalMessage(), e);
        }
    }

    /**
     * {@code config} (a record with {@code @JsonProperty} components, a map or a JSON tree) as the
     * indented JSON text of a {@code config.json}, ending in a newline as the libraries write it.
     */
    public static String write(Object config) {
        try {
            return WRITER.writeValueAsString(config) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + config.getClass().getSimpleName() + " as JSON", e);
        }
    }

    private static ObjectMapper mapper(String source) {
        ObjectMapper mapper = new ObjectMapper();
        mapper.configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, false);
        mapper.addHandler(new DeserializationProblemHandler() {
            @Override
            public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p,
                    JsonDeserializer<?> deserializer, Object beanOrClass, String propertyName) throws IOException {
                if (propertyName.startsWith("_")) {
                    LOG.debug("{}: bookkeeping key '{}' skipped", source, propertyName);
                } else {
                    LOG.info("{}: unknown key '{}' ignored", source, propertyName);
                }
                p.skipChildren();
                return true;
            }
        });
        return mapper;
    }
}
