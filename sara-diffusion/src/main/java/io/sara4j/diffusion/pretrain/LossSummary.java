package io.sara4j.diffusion.pretrain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The loss curve of a run in a few numbers: the mean training loss over each tenth of the steps of
 * {@code losses.csv} (single steps are too noisy to compare: the loss depends strongly on the
 * timestep drawn).
 *
 * @param steps rows read
 * @param firstLoss the loss of step 1
 * @param meanByTenth the mean loss of steps in each tenth of the run, in order (fewer entries for
 *     runs of under ten steps)
 */
public record LossSummary(int steps, double firstLoss, List<Double> meanByTenth) {

    /**
     * Reads {@code losses.csv} (header {@code step,loss,...}).
     *
     * @throws IllegalArgumentException naming the file and line if a row is malformed or there are none
     */
    public static LossSummary of(Path csv) throws IOException {
        List<Double> losses = new ArrayList<>();
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        for (int i = 1; i < lines.size(); i++) {
            String[] cells = lines.get(i).split(",");
            if (cells.length < 2) {
                throw new IllegalArgumentException(csv + ":" + (i + 1) + ": expected step,loss,..., found '" + lines.get(i) + "'");
            }
            try {
                losses.add(Double.parseDouble(cells[1]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(csv + ":" + (i + 1) + ": loss is not a number: '" + cells[1] + "'");
            }
        }
        if (losses.isEmpty()) {
            throw new IllegalArgumentException(csv + ": no loss rows");
        }
        int n = losses.size();
        int parts = Math.min(10, n);
        List<Double> means = new ArrayList<>(parts);
        for (int p = 0; p < parts; p++) {
            int from = (int) ((long) n * p / parts);
            int to = (int) ((long) n * (p + 1) / parts);
            double sum = 0;
            for (int i = from; i < to; i++) {
                sum += losses.get(i);
            }
            means.add(sum / (to - from));
        }
        return new LossSummary(n, losses.get(0), List.copyOf(means));
    }

    /** The figures by JSON name, for {@code training.json}. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", steps);
        m.put("first_loss", firstLoss);
        m.put("mean_loss_by_tenth_of_run", meanByTenth.stream().map(v -> Math.round(v * 1e5) / 1e5).toList());
        return m;
    }
}
