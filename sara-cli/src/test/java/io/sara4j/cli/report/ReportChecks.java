package io.sara4j.cli.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/** What every produced report must satisfy, checked on the parsed page (jsoup). */
public final class ReportChecks {
    private ReportChecks() {}

    /**
     * Parses {@code html} and checks: a title and headings; no scripts and nothing fetched from
     * elsewhere; every image it links exists beside it and is a PNG; every table has rows and no
     * empty cell. Returns the document for further checks.
     */
    public static Document assertValid(Path html) throws IOException {
        Document doc = Jsoup.parse(Files.readString(html, StandardCharsets.UTF_8));
        assertThat(doc.title()).as("title").isNotBlank();
        assertThat(doc.select("h1, h2")).as("headings").isNotEmpty();
        assertThat(doc.select("script")).as("scripts").isEmpty();
        assertThat(doc.select("link[href], iframe, object, embed")).as("external resources").isEmpty();
        for (Element img : doc.select("img")) {
            String src = img.attr("src");
            assertThat(src).as("image link").isNotBlank().doesNotContain("://").doesNotStartWith("/");
            Path file = html.toAbsolutePath().getParent().resolve(src);
            assertThat(file).as("linked image " + src).isRegularFile();
            byte[] head = Files.readAllBytes(file);
            assertThat(head.length).as(src).isGreaterThan(8);
            assertThat(head[1] == 'P' && head[2] == 'N' && head[3] == 'G').as(src + " is a PNG").isTrue();
            assertThat(img.attr("alt")).as("alt text of " + src).isNotBlank();
        }
        for (Element table : doc.select("table")) {
            assertThat(table.select("tr")).as("table rows").hasSizeGreaterThan(1);
            for (Element cell : table.select("td, th")) {
                boolean filled = !cell.text().isBlank() || !cell.select("img").isEmpty();
                assertThat(filled).as("empty cell in table: " + table.outerHtml()).isTrue();
            }
        }
        return doc;
    }
}
