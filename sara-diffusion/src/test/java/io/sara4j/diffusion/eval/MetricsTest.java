package io.sara4j.diffusion.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.sara4j.diffusion.data.shapes.Background;
import io.sara4j.diffusion.data.shapes.Colour;
import io.sara4j.diffusion.data.shapes.ShapeKind;
import io.sara4j.diffusion.data.shapes.ShapesSpec;
import io.sara4j.diffusion.data.shapes.Style;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link StyleFidelity}, {@link PromptAccuracy} and {@link PriorPreservation} on hand-made predictions. */
class MetricsTest {
    private static ShapesSpec spec(ShapeKind shape, Colour colour) {
        return new ShapesSpec(shape, colour, Background.BLACK, Style.PLAIN, 0.5, 0.5, 0.3, 0);
    }

    private static Classification predictions(double[][] features, ShapeKind[] shapes, Colour[] colours, Style[] styles) {
        int n = features.length;
        int[] s = new int[n];
        int[] c = new int[n];
        int[] st = new int[n];
        for (int i = 0; i < n; i++) {
            s[i] = shapes[i].ordinal();
            c[i] = colours[i].ordinal();
            st[i] = styles[i].ordinal();
        }
        return new Classification(features, s, c, st);
    }

    @Test
    void promptAccuracyCountsImagesWhereShapeAndColourBothMatch() {
        List<ShapesSpec> prompts = List.of(spec(ShapeKind.CIRCLE, Colour.RED), spec(ShapeKind.SQUARE, Colour.GREEN),
                spec(ShapeKind.RING, Colour.WHITE), spec(ShapeKind.CROSS, Colour.CYAN));
        Classification g = predictions(new double[4][1],
                new ShapeKind[] {ShapeKind.CIRCLE, ShapeKind.SQUARE, ShapeKind.CIRCLE, ShapeKind.CROSS},
                new Colour[] {Colour.RED, Colour.BLUE, Colour.WHITE, Colour.CYAN},
                new Style[] {Style.PLAIN, Style.PLAIN, Style.DOTS, Style.DOTS});
        PromptAccuracy a = PromptAccuracy.measure(g, prompts);
        assertThat(a.accuracy()).isEqualTo(0.5);       // images 0 and 3
        assertThat(a.shapeAccuracy()).isEqualTo(0.75); // 0, 1, 3
        assertThat(a.colourAccuracy()).isEqualTo(0.75); // 0, 2, 3
        assertThat(a.count()).isEqualTo(4);
        assertThatThrownBy(() -> PromptAccuracy.measure(g, prompts.subList(0, 3))).hasMessageContaining("4 images, 3 prompts");
    }

    @Test
    void styleFidelityIsTheFrechetDistanceOfTheFeaturesAndTheStyleShare() {
        double[][] gen = {{0}, {2}, {4}};   // mean 2, variance 4
        double[][] real = {{1}, {2}, {3}};  // mean 2, variance 1
        ShapeKind[] shapes = {ShapeKind.CIRCLE, ShapeKind.CIRCLE, ShapeKind.CIRCLE};
        Colour[] colours = {Colour.RED, Colour.RED, Colour.RED};
        Classification g = predictions(gen, shapes, colours, new Style[] {Style.DOTS, Style.PLAIN, Style.DOTS});
        Classification r = predictions(real, shapes, colours, new Style[] {Style.DOTS, Style.DOTS, Style.DOTS});
        StyleFidelity f = StyleFidelity.measure(g, r, Style.DOTS);
        assertThat(f.frechetDistance()).isCloseTo(1.0, within(1e-12)); // (2 − 1)²
        assertThat(f.styleAccuracy()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(f.count()).isEqualTo(3);
        Classification fewer = predictions(new double[][] {{0}, {1}}, new ShapeKind[] {ShapeKind.CIRCLE, ShapeKind.CIRCLE},
                new Colour[] {Colour.RED, Colour.RED}, new Style[] {Style.DOTS, Style.DOTS});
        assertThatThrownBy(() -> StyleFidelity.measure(fewer, r, Style.DOTS)).hasMessageContaining("equally many");
    }

    @Test
    void priorPreservationReportsTheChangeFromBeforeToAfter() {
        StyleScores before = new StyleScores(Style.PLAIN, "plain style, ", new StyleFidelity(Style.PLAIN, 2.0, 0.9, 10),
                new PromptAccuracy(0.8, 0.9, 0.85, 10));
        StyleScores after = new StyleScores(Style.PLAIN, "plain style, ", new StyleFidelity(Style.PLAIN, 2.5, 0.8, 10),
                new PromptAccuracy(0.7, 0.8, 0.85, 10));
        PriorPreservation p = new PriorPreservation(after, before);
        assertThat(p.fidelityChange()).isCloseTo(0.5, within(1e-12));
        assertThat(p.accuracyChange()).isCloseTo(-0.1, within(1e-12));
        assertThat(new PriorPreservation(after, null).fidelityChange()).isNaN();
        StyleScores other = new StyleScores(Style.DOTS, "", after.fidelity(), after.accuracy());
        assertThatThrownBy(() -> new PriorPreservation(other, before)).hasMessageContaining("same style");
        assertThat(after.asMethod("sara")).isEqualTo(new MethodScores("sara", 2.5, 0.7));
    }
}
