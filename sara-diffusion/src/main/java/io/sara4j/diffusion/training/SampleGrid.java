package io.sara4j.diffusion.training;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * A labelled grid of validation samples drawn with Java2D (headless): one column per prompt with
 * the prompt above it (wrapped onto at most {@value #PROMPT_LINES} lines, then cut with "…"), one
 * row per sampled model with its label ("base", "step 200") on the left.
 *
 * <p>Size: {@value #LEFT} + columns·tile by {@value #HEADER} + rows·tile pixels, where
 * tile = {@link #tileSize}(image side): small images are enlarged by a whole factor (nearest
 * neighbour) to at least {@value #MIN_TILE} pixels so that they stay visible beside their labels.
 */
public final class SampleGrid {
    /** Width of the row-label margin, in pixels. */
    public static final int LEFT = 88;
    /** Height of the prompt header, in pixels. */
    public static final int HEADER = 40;
    /** Smallest tile side; smaller images are enlarged by a whole factor. */
    public static final int MIN_TILE = 128;
    static final int PROMPT_LINES = 2;

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private SampleGrid() {}

    /** The tile side for images of side {@code imageSide}: the smallest whole multiple ≥ {@value #MIN_TILE}. */
    public static int tileSize(int imageSide) {
        if (imageSide < 1) {
            throw new IllegalArgumentException("imageSide must be >= 1, got " + imageSide);
        }
        return imageSide * Math.max(1, (MIN_TILE + imageSide - 1) / imageSide);
    }

    /**
     * Draws the grid.
     *
     * @param prompts the column headers
     * @param rowLabels one label per row
     * @param rows one list of images per row, one image per prompt, all square and of one size
     */
    public static BufferedImage render(List<String> prompts, List<String> rowLabels, List<List<BufferedImage>> rows) {
        if (prompts.isEmpty() || rows.isEmpty()) {
            throw new IllegalArgumentException("a grid needs at least one prompt and one row");
        }
        if (rowLabels.size() != rows.size()) {
            throw new IllegalArgumentException(rowLabels.size() + " row labels for " + rows.size() + " rows");
        }
        int side = rows.get(0).get(0).getWidth();
        for (int r = 0; r < rows.size(); r++) {
            List<BufferedImage> row = rows.get(r);
            if (row.size() != prompts.size()) {
                throw new IllegalArgumentException("row " + r + " has " + row.size() + " images for "
                        + prompts.size() + " prompts");
            }
            for (BufferedImage image : row) {
                if (image.getWidth() != side || image.getHeight() != side) {
                    throw new IllegalArgumentException("row " + r + " has a " + image.getWidth() + "x"
                            + image.getHeight() + " image, expected " + side + "x" + side);
                }
            }
        }
        int tile = tileSize(side);
        BufferedImage grid = new BufferedImage(LEFT + prompts.size() * tile, HEADER + rows.size() * tile,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = grid.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, grid.getWidth(), grid.getHeight());
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.setColor(Color.BLACK);
            FontMetrics metrics = g.getFontMetrics();
            for (int c = 0; c < prompts.size(); c++) {
                List<String> lines = wrap(prompts.get(c), metrics, tile - 8, PROMPT_LINES);
                int y = (HEADER - lines.size() * metrics.getHeight()) / 2 + metrics.getAscent();
                for (String line : lines) {
                    g.drawString(line, LEFT + c * tile + 4, y);
                    y += metrics.getHeight();
                }
            }
            for (int r = 0; r < rows.size(); r++) {
                int top = HEADER + r * tile;
                String label = fit(rowLabels.get(r), metrics, LEFT - 8);
                g.drawString(label, 4, top + (tile + metrics.getAscent()) / 2);
                for (int c = 0; c < prompts.size(); c++) {
                    g.drawImage(rows.get(r).get(c), LEFT + c * tile, top, tile, tile, null);
                }
            }
        } finally {
            g.dispose();
        }
        return grid;
    }

    /** Words of {@code text} on lines at most {@code width} wide; the last kept line ends in "…" if cut. */
    static List<String> wrap(String text, FontMetrics metrics, int width, int maxLines) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        String[] words = text.strip().split("\\s+");
        int i = 0;
        while (i < words.length && lines.size() < maxLines) {
            String candidate = line.length() == 0 ? words[i] : line + " " + words[i];
            if (metrics.stringWidth(candidate) <= width || line.length() == 0) {
                line.setLength(0);
                line.append(candidate);
                i++;
            } else {
                lines.add(line.toString());
                line.setLength(0);
            }
        }
        if (line.length() > 0 && lines.size() < maxLines) {
            lines.add(line.toString());
        }
        boolean cut = i < words.length;
        int last = lines.size() - 1;
        lines.set(last, cut ? fit(lines.get(last) + " …", metrics, width, true) : fit(lines.get(last), metrics, width));
        return lines;
    }

    /** {@code text}, shortened with "…" to at most {@code width} pixels. */
    static String fit(String text, FontMetrics metrics, int width) {
        return fit(text, metrics, width, false);
    }

    private static String fit(String text, FontMetrics metrics, int width, boolean alreadyCut) {
        if (metrics.stringWidth(text) <= width && !alreadyCut) {
            return text;
        }
        String base = alreadyCut ? text.substring(0, text.length() - 2) : text;
        for (int n = base.length(); n > 0; n--) {
            String shortened = base.substring(0, n).strip() + "…";
            if (metrics.stringWidth(shortened) <= width) {
                return shortened;
            }
        }
        return "…";
    }
}
