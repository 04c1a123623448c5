package io.sara4j.cli.report;

import io.sara4j.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One self-contained static HTML page for a run: inline CSS, no scripts, nothing fetched, images as
 * relative links to PNG files beside the page. Blocks are appended in reading order (headings,
 * paragraphs, key–value blocks, tables, figures, labelled sample grids) and the page is written
 * atomically by {@link #write}.
 *
 * <p>All text is HTML-escaped; a table cell must say something (an empty cell is refused, so a
 * missing value has to be written out, e.g. "n/a"), and every linked image must exist when the page
 * is written, so a report never shows a blank cell or a broken image.
 */
public final class HtmlReport {
    private static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1100px;margin:2em auto;
            padding:0 1em;color:#222;line-height:1.45}
            h1{border-bottom:2px solid #ddd;padding-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #eee}
            table{border-collapse:collapse;margin:.6em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;
            vertical-align:middle}th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
            dl.kv{display:grid;grid-template-columns:max-content auto;gap:.2em 1.2em}dl.kv dt{font-weight:600}
            dl.kv dd{margin:0}figure{margin:1em 0}figcaption{color:#555;font-size:.92em}
            img.samples{image-rendering:pixelated;height:96px}img.plot{max-width:100%}
            p.result{font-size:1.1em;background:#f6f8fa;border-left:4px solid #4a7;padding:.5em .8em}
            """;

    /** One row of a sample grid: its label and the PNG strip (relative to the page) showing its images. */
    public record GridRow(String label, String png) {}

    private final String title;
    private final StringBuilder body = new StringBuilder();
    private final List<String> images = new ArrayList<>();

    /** An empty page titled {@code title} (also its first heading). */
    public HtmlReport(String title) {
        this.title = title;
    }

    /** A section heading. */
    public HtmlReport heading(String text) {
        body.append("<h2>").append(escape(text)).append("</h2>\n");
        return this;
    }

    /** A paragraph of plain text. */
    public HtmlReport paragraph(String text) {
        body.append("<p>").append(escape(text)).append("</p>\n");
        return this;
    }

    /** A highlighted paragraph: the sentence that states the result. */
    public HtmlReport result(String text) {
        body.append("<p class=\"result\">").append(escape(text)).append("</p>\n");
        return this;
    }

    /** A block of labelled values, in the map's order. */
    public HtmlReport keyValues(Map<String, String> values) {
        body.append("<dl class=\"kv\">\n");
        values.forEach((k, v) -> body.append("<dt>").append(escape(k)).append("</dt><dd>").append(escape(cell(k, v)))
                .append("</dd>\n"));
        body.append("</dl>\n");
        return this;
    }

    /**
     * A table with a header row; every row must have the header's width and no cell may be blank.
     * Cells that parse as numbers are right-aligned.
     */
    public HtmlReport table(List<String> header, List<List<String>> rows) {
        body.append("<table>\n<tr>");
        for (String h : header) {
            body.append("<th>").append(escape(cell("header", h))).append("</th>");
        }
        body.append("</tr>\n");
        for (int r = 0; r < rows.size(); r++) {
            List<String> row = rows.get(r);
            if (row.size() != header.size()) {
                throw new IllegalArgumentException("table row " + r + " has " + row.size() + " cells, expected "
                        + header.size() + " like the header " + header);
            }
            body.append("<tr>");
            for (int c = 0; c < row.size(); c++) {
                String v = cell("row " + r + ", column '" + header.get(c) + "'", row.get(c));
                body.append(isNumber(v) ? "<td class=\"num\">" : "<td>").append(escape(v)).append("</td>");
            }
            body.append("</tr>\n");
        }
        body.append("</table>\n");
        return this;
    }

    /** A figure: the PNG {@code png} (relative to the page) with a caption. */
    public HtmlReport figure(String png, String caption) {
        images.add(png);
        body.append("<figure><img class=\"plot\" src=\"").append(escape(png)).append("\" alt=\"").append(escape(caption))
                .append("\"><figcaption>").append(escape(caption)).append("</figcaption></figure>\n");
        return this;
    }

    /**
     * A labelled sample grid: one table row per {@code rows} entry (a prompt or a method), its label
     * beside the strip of images, {@code columnLabel} naming what the strip shows, and a caption.
     */
    public HtmlReport sampleGrid(String caption, String rowLabel, String columnLabel, List<GridRow> rows) {
        body.append("<figure><table>\n<tr><th>").append(escape(rowLabel)).append("</th><th>").append(escape(columnLabel))
                .append("</th></tr>\n");
        for (GridRow row : rows) {
            images.add(row.png());
            body.append("<tr><td>").append(escape(cell("grid row label", row.label()))).append("</td><td><img class=\"samples\" src=\"")
                    .append(escape(row.png())).append("\" alt=\"").append(escape(row.label())).append("\"></td></tr>\n");
        }
        body.append("</table><figcaption>").append(escape(caption)).append("</figcaption></figure>\n");
        return this;
    }

    /** The page as HTML text. */
    public String html() {
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" + escape(title)
                + "</title>\n<style>\n" + CSS + "</style>\n</head>\n<body>\n<h1>" + escape(title) + "</h1>\n" + body
                + "</body>\n</html>\n";
    }

    /**
     * Writes the page atomically to {@code file}.
     *
     * @throws IllegalStateException if a linked image does not exist beside the page
     */
    public void write(Path file) throws IOException {
        Path folder = file.toAbsolutePath().getParent();
        for (String png : images) {
            if (!Files.isRegularFile(folder.resolve(png))) {
                throw new IllegalStateException(file + ": links image '" + png + "', which is missing from " + folder);
            }
        }
        AtomicFiles.writeString(file, html());
    }

    /** Escapes the five characters that are markup in HTML text and attribute values. */
    public static String escape(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static String cell(String where, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("report cell " + where + " is empty: write the value or \"n/a\"");
        }
        return value;
    }

    private static boolean isNumber(String v) {
        return v.matches("[-+]?[0-9][0-9,]*(\\.[0-9]+)?([eE][-+]?[0-9]+)?%?");
    }
}
