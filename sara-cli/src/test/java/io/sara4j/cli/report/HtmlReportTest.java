package io.sara4j.cli.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sara4j.diffusion.training.LossChart;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {
    @TempDir
    Path dir;

    private static BufferedImage solid(int rgb) {
        BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                image.setRGB(x, y, rgb);
            }
        }
        return image;
    }

    @Test
    void aReportWithEveryBlockParsesWithItsImagesAndFilledTables() throws Exception {
        String strip = SampleStrips.write(List.of(solid(0xff0000), solid(0x00ff00), solid(0x0000ff)), dir, "samples/row0.png");
        Files.writeString(dir.resolve("losses.csv"), "step,loss,penalty\n1,0.5,0\n2,0.4,0\n3,0.45,0\n4,0.3,0\n");
        LossChart.writeFromCsv("loss", Map.of("sara", dir.resolve("losses.csv")), dir.resolve("loss.png"));
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("model", "models/shapes-base");
        kv.put("steps", "300");
        new HtmlReport("sara demo").heading("Settings").keyValues(kv).result("style fidelity 12.3 → 3.1")
                .table(List.of("method", "FD"), List.of(List.of("sara", "3.10"), List.of("lora", "n/a")))
                .figure("loss.png", "training loss").sampleGrid("before and after", "prompt", "seeds 0..2",
                        List.of(new HtmlReport.GridRow("a red circle", strip)))
                .write(dir.resolve("report.html"));

        Document doc = ReportChecks.assertValid(dir.resolve("report.html"));
        assertThat(doc.select("img")).hasSize(2);
        assertThat(doc.select("td").eachText()).contains("sara", "3.10", "n/a", "a red circle");
        assertThat(doc.select("dl.kv dt").eachText()).containsExactly("model", "steps");
        // the strip holds the three tiles side by side with 2-pixel borders
        BufferedImage png = javax.imageio.ImageIO.read(dir.resolve(strip).toFile());
        assertThat(png.getWidth()).isEqualTo(3 * 8 + 2 * 2);
        assertThat(png.getRGB(8 + 2, 0) & 0xffffff).isEqualTo(0x00ff00);
    }

    @Test
    void userTextIsEscapedEverywhere() throws Exception {
        String evil = "<script>alert('x')</script> & \"quoted\"";
        String strip = SampleStrips.write(List.of(solid(0)), dir, "s.png");
        new HtmlReport(evil).heading(evil).paragraph(evil).keyValues(Map.of(evil, evil))
                .table(List.of(evil), List.of(List.of(evil)))
                .sampleGrid(evil, evil, evil, List.of(new HtmlReport.GridRow(evil, strip)))
                .write(dir.resolve("r.html"));
        String html = Files.readString(dir.resolve("r.html"));
        assertThat(html).doesNotContain("<script>").contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;");
        Document doc = ReportChecks.assertValid(dir.resolve("r.html"));
        assertThat(doc.title()).isEqualTo(evil);
        assertThat(doc.select("h2").text()).isEqualTo(evil);
        assertThat(doc.select("td").first().text()).isEqualTo(evil);
        assertThat(doc.select("img").attr("alt")).isEqualTo(evil);
    }

    @Test
    void blankCellsAndMissingImagesAreRefused() {
        assertThatThrownBy(() -> new HtmlReport("t").table(List.of("a", "b"), List.of(List.of("1", " "))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 0, column 'b'");
        assertThatThrownBy(() -> new HtmlReport("t").table(List.of("a", "b"), List.of(List.of("1"))))
                .hasMessageContaining("row 0 has 1 cells, expected 2");
        assertThatThrownBy(() -> new HtmlReport("t").figure("nope.png", "c").write(dir.resolve("x.html")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("nope.png");
        assertThat(dir.resolve("x.html")).doesNotExist();
    }
}
