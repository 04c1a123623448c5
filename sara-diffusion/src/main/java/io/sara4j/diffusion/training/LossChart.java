package io.sara4j.diffusion.training;

import io.sara4j.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Loss curves as a PNG plot (XChart): one line per run, read from the {@code losses.csv} that
 * {@link Trainer} writes, or the {@code validation.csv} of a {@link Validator}. The per-step
 * diffusion loss is very noisy (each step draws its own timesteps), so each line is a trailing
 * moving average over about 1/20 of its points; the legend says over how many. (Lives here rather
 * than in the CLI so the validator can redraw its curve during training.)
 */
public final class LossChart {
    private static final int WIDTH = 900;
    private static final int HEIGHT = 420;

    private LossChart() {}

    /** One run's loss per step. */
    public record Curve(double[] steps, double[] losses) {}

    /**
     * Reads a {@code losses.csv}: header {@code step,loss,...}, one row per step.
     *
     * @throws IllegalArgumentException naming the file and line if a row is not numbers
     */
    public static Curve read(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).startsWith("step,loss")) {
            throw new IllegalArgumentException(csv + ": expected a header starting with 'step,loss'");
        }
        List<double[]> rows = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(",");
            try {
                rows.add(new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1])});
            } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                throw new IllegalArgumentException(csv + ": line " + (i + 1) + " is not 'step,loss,...' numbers: " + line, e);
            }
        }
        double[] steps = new double[rows.size()];
        double[] losses = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            steps[i] = rows.get(i)[0];
            losses[i] = rows.get(i)[1];
        }
        return new Curve(steps, losses);
    }

    /** The trailing mean over {@code window} values (fewer at the start). */
    static double[] movingAverage(double[] values, int window) {
        double[] out = new double[values.length];
        double sum = 0;
        for (int i = 0; i < values.length; i++) {
            sum += values[i];
            if (i >= window) {
                sum -= values[i - window];
            }
            out[i] = sum / Math.min(i + 1, window);
        }
        return out;
    }

    /** The averaging window for a run of {@code steps} steps: about 1/20 of it, at least 1. */
    static int window(int steps) {
        return Math.max(1, steps / 20);
    }

    /** Plots the named training-loss curves (in order) into {@code png}, written atomically. */
    public static void write(String title, Map<String, Curve> curves, Path png) throws IOException {
        write(title, "training loss", curves, png);
    }

    /** Plots the named curves (in order) against the step, {@code yAxis} naming the values. */
    public static void write(String title, String yAxis, Map<String, Curve> curves, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("step")
                .yAxisTitle(yAxis).build();
        chart.getStyler().setMarkerSize(0);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        int longest = curves.values().stream().mapToInt(c -> c.steps().length).max().orElse(1);
        int window = window(longest);
        for (Map.Entry<String, Curve> e : curves.entrySet()) {
            Curve c = e.getValue();
            if (c.steps().length == 0) {
                continue;
            }
            String name = window > 1 ? e.getKey() + " (mean of " + window + " steps)" : e.getKey();
            XYSeries s = chart.addSeries(name, c.steps(), movingAverage(c.losses(), window));
            s.setMarker(SeriesMarkers.NONE);
        }
        byte[] bytes = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        AtomicFiles.write(png, out -> out.write(bytes));
    }

    /** Reads each run's {@code losses.csv} and plots them together. */
    public static void writeFromCsv(String title, Map<String, Path> csvByName, Path png) throws IOException {
        Map<String, Curve> curves = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : csvByName.entrySet()) {
            curves.put(e.getKey(), read(e.getValue()));
        }
        write(title, curves, png);
    }
}
