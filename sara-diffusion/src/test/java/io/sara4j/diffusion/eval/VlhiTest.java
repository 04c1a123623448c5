package io.sara4j.diffusion.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VlhiTest {
    /** PAPER.md Table 1, SD1.5 at the 50M budget (means over the five style datasets). */
    private static final List<MethodScores> SD15_50M = List.of(
            new MethodScores("lora", 150.74, 27.96),
            new MethodScores("lt-sft", 150.18, 25.76),
            new MethodScores("sara", 134.96, 27.08),
            new MethodScores("full", 133.69, 26.42));

    @Test
    void constructedExampleByHand() {
        // FID 10, 20, 30 → (30 − FID)/20 = 1, ½, 0;  CLIP 0.2, 0.6, 0.4 → (CLIP − 0.2)/0.4 = 0, 1, ½
        Map<String, Double> v = Vlhi.compute(List.of(
                new MethodScores("a", 10, 0.2), new MethodScores("b", 20, 0.6), new MethodScores("c", 30, 0.4)));
        assertThat(v).containsOnlyKeys("a", "b", "c");
        assertThat(v.get("a")).isCloseTo(1.0, within(1e-12));
        assertThat(v.get("b")).isCloseTo(1.5, within(1e-12));
        assertThat(v.get("c")).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void theFormulaOnTableOneScores() {
        // FID range 150.74 − 133.69 = 17.05, CLIP range 27.96 − 25.76 = 2.20
        Map<String, Double> v = Vlhi.compute(SD15_50M);
        assertThat(v.get("lora")).isCloseTo(0 + 1, within(1e-12));
        assertThat(v.get("lt-sft")).isCloseTo(0.56 / 17.05 + 0, within(1e-12));
        assertThat(v.get("sara")).isCloseTo(15.78 / 17.05 + 1.32 / 2.20, within(1e-12));
        assertThat(v.get("full")).isCloseTo(1 + 0.66 / 2.20, within(1e-12));
        // the index of the averaged scores ranks SaRA first, as the paper's averaged index does
        assertThat(v.get("sara")).isGreaterThan(v.get("full")).isGreaterThan(v.get("lora")).isGreaterThan(v.get("lt-sft"));
        assertThat(v.keySet()).containsExactly("lora", "lt-sft", "sara", "full");
    }

    @Test
    void propertiesHoldOnRandomComparisons() {
        Random random = new Random(3);
        for (int trial = 0; trial < 50; trial++) {
            int n = 2 + random.nextInt(5);
            List<MethodScores> methods = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                methods.add(new MethodScores("m" + i, 100 + 50 * random.nextDouble(), 25 + 3 * random.nextDouble()));
            }
            Map<String, Double> v = Vlhi.compute(methods);
            v.values().forEach(x -> assertThat(x).isBetween(0.0, 2.0));
            // the best FID method gets the full FID term, the worst none
            MethodScores bestFid = Collections.min(methods, (a, b) -> Double.compare(a.fid(), b.fid()));
            MethodScores worstClip = Collections.min(methods, (a, b) -> Double.compare(a.clip(), b.clip()));
            assertThat(v.get(bestFid.method())).isGreaterThanOrEqualTo(1.0 - 1e-12);
            assertThat(v.get(worstClip.method())).isLessThanOrEqualTo(1.0 + 1e-12);
            // invariant under increasing affine maps of either measure, and under reordering
            List<MethodScores> rescaled = new ArrayList<>();
            for (MethodScores m : methods) {
                rescaled.add(new MethodScores(m.method(), 3 * m.fid() - 40, 0.01 * m.clip() + 7));
            }
            Collections.shuffle(rescaled, random);
            Map<String, Double> w = Vlhi.compute(rescaled);
            v.forEach((name, x) -> assertThat(w.get(name)).as(name).isCloseTo(x, within(1e-9)));
        }
    }

    @Test
    void bestOnBothScoresTwoAndWorstOnBothZero() {
        Map<String, Double> v = Vlhi.compute(List.of(new MethodScores("best", 1, 9), new MethodScores("mid", 2, 8),
                new MethodScores("worst", 3, 7)));
        assertThat(v.get("best")).isEqualTo(2.0);
        assertThat(v.get("worst")).isEqualTo(0.0);
    }

    @Test
    void aMeasureThatTiesContributesOneHalfToEveryMethod() {
        Map<String, Double> fidTie = Vlhi.compute(List.of(new MethodScores("a", 5, 0.1), new MethodScores("b", 5, 0.3)));
        assertThat(fidTie.get("a")).isEqualTo(0.5);
        assertThat(fidTie.get("b")).isEqualTo(1.5);
        Map<String, Double> allTie = Vlhi.compute(List.of(new MethodScores("a", 5, 0.1), new MethodScores("b", 5, 0.1)));
        assertThat(allTie.values()).containsOnly(1.0);
        assertThat(Vlhi.compute(List.of(new MethodScores("alone", 7, 0.7)))).containsEntry("alone", 1.0);
        // the limit of the mean as two methods approach a tie from either side
        Map<String, Double> near = Vlhi.compute(List.of(new MethodScores("a", 5, 0.1), new MethodScores("b", 5 + 1e-9, 0.1)));
        assertThat((near.get("a") + near.get("b")) / 2).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void theMeanOverDatasetsAveragesPerDatasetIndices() {
        List<MethodScores> d1 = List.of(new MethodScores("x", 10, 1), new MethodScores("y", 20, 2));
        List<MethodScores> d2 = List.of(new MethodScores("x", 10, 2), new MethodScores("y", 20, 1));
        Map<String, Double> mean = Vlhi.mean(List.of(d1, d2));
        assertThat(mean.get("x")).isCloseTo((1 + 2) / 2.0, within(1e-12)); // d1: 1 + 0, d2: 1 + 1
        assertThat(mean.get("y")).isCloseTo((1 + 0) / 2.0, within(1e-12)); // d1: 0 + 1, d2: 0 + 0
        assertThatThrownBy(() -> Vlhi.mean(List.of(d1, List.of(new MethodScores("x", 1, 1)))))
                .hasMessageContaining("same methods");
    }

    @Test
    void badInputIsRefused() {
        assertThatThrownBy(() -> Vlhi.compute(List.of())).hasMessageContaining("at least one method");
        assertThatThrownBy(() -> Vlhi.compute(List.of(new MethodScores("a", 1, 1), new MethodScores("a", 2, 2))))
                .hasMessageContaining("'a' is listed twice");
        assertThatThrownBy(() -> new MethodScores("a", Double.NaN, 1)).hasMessageContaining("finite");
    }
}
