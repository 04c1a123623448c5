package io.sara4j.cli;

import io.sara4j.core.io.AtomicFiles;
import io.sara4j.diffusion.loading.ConfigJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a resumable run folder was started with ({@code run.json}): a run continued with different
 * settings would mix two experiments, so {@link #checkOrWrite} refuses it and names every field that
 * differs.
 */
final class DemoSettings {
    private DemoSettings() {}

    /**
     * Writes {@code settings} to {@code file}, or, when the file exists, checks that it holds the
     * same values.
     *
     * @throws IllegalArgumentException naming the file and each differing field
     */
    @SuppressWarnings("unchecked")
    static void checkOrWrite(Path file, Map<String, Object> settings) throws IOException {
        String json = ConfigJson.write(settings);
        if (!Files.exists(file)) {
            Files.createDirectories(file.toAbsolutePath().getParent());
            AtomicFiles.writeString(file, json);
            return;
        }
        Map<String, Object> stored = ConfigJson.read(file, LinkedHashMap.class);
        Map<String, Object> wanted = ConfigJson.parse(json, LinkedHashMap.class, "settings");
        List<String> differences = new ArrayList<>();
        for (String key : wanted.keySet()) {
            if (!String.valueOf(wanted.get(key)).equals(String.valueOf(stored.get(key)))) {
                differences.add(key + " = " + stored.get(key) + " (this run has " + wanted.get(key) + ")");
            }
        }
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException(file + ": the run folder was started with other settings: "
                    + String.join("; ", differences) + ". Use the same settings to resume, or another --out.");
        }
    }
}
