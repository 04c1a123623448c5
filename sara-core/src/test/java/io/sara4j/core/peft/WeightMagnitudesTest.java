package io.sara4j.core.peft;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import io.sara4j.core.nn.Engines;
import io.sara4j.core.nn.Parameter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WeightMagnitudesTest {
    @Test
    void countsMatchADirectCountPerThresholdKindAndDecade() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            TinyModels.Mlp net = TinyModels.mlp(m, 6, 9, 4, 0.05, 77);
            List<Double> thetas = List.of(1e-2, 1e-3, 3e-2);
            WeightMagnitudes stats = WeightMagnitudes.of(net, NameFilter.all(), thetas);

            long total = 0;
            long[] below = new long[3];
            long linearBelow = 0;
            long[] decades = new long[stats.decadeCounts().size()];
            double[] sorted = {1e-3, 1e-2, 3e-2};
            for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) {
                float[] values = e.getValue().data().toFloatArray();
                total += values.length;
                for (float v : values) {
                    float a = Math.abs(v);
                    for (int i = 0; i < 3; i++) {
                        if (a < (float) sorted[i]) {
                            below[i]++;
                            if (e.getKey().endsWith("weight") && i == 1) {
                                linearBelow++;
                            }
                        }
                    }
                    for (int d = 0; d < decades.length; d++) {
                        double lo = stats.decadeEdges().get(d);
                        double hi = stats.decadeEdges().get(d + 1);
                        if (a >= (float) lo && (Double.isInfinite(hi) || a < (float) hi)) {
                            decades[d]++;
                        }
                    }
                }
            }
            assertThat(stats.thresholds()).containsExactly(1e-3, 1e-2, 3e-2);
            assertThat(stats.total()).isEqualTo(total);
            assertThat(stats.below()).containsExactly(below[0], below[1], below[2]);
            assertThat(stats.belowByKind().get("linear").get(1)).isEqualTo(linearBelow);
            assertThat(stats.totalByKind()).containsEntry("linear", 6L * 9 + 9L * 4).containsEntry("norm/bias", 9L + 4);
            assertThat(stats.decadeCounts()).containsExactly(java.util.Arrays.stream(decades).boxed().toArray(Long[]::new));
            assertThat(stats.decadeCounts().stream().mapToLong(Long::longValue).sum()).isEqualTo(total);
            // the threshold count agrees with what SaRA selects
            try (Sara sara = Sara.attach(net, SaraConfig.builder().setThreshold(1e-2).build())) {
                assertThat(sara.trainableCount()).isEqualTo(stats.below().get(1));
            }
        }
    }

    @Test
    void filterRestrictsTheTensors() {
        try (NDManager m = Engines.pytorch().newBaseManager()) {
            TinyModels.Mlp net = TinyModels.mlp(m, 6, 9, 4, 0.05, 78);
            WeightMagnitudes stats = WeightMagnitudes.of(net, new NameFilter(List.of("fc1.*"), List.of()), List.of(1.0));
            assertThat(stats.total()).isEqualTo(6L * 9 + 9);
            assertThat(stats.below()).containsExactly(6L * 9 + 9);
            assertThat(stats.fractionBelow(0)).isEqualTo(1.0);
        }
    }
}
