package io.sara4j.diffusion.unet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sara4j.core.testing.Tensors;
import io.sara4j.diffusion.testing.EngineTestBase;
import io.sara4j.diffusion.testing.RandomWeights;
import io.sara4j.diffusion.testing.Ref64;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link FeedForward} and the {@link GEGLU} inside it. */
class FeedForwardTest extends EngineTestBase {

    /** value · GELU(gate) over the two halves of proj(x). */
    static Ref64 geglu(Map<String, Ref64> p, String prefix, Ref64 x) {
        Ref64 projected = Ref64.linear(x, p.get(prefix + "proj.weight"), p.get(prefix + "proj.bias"));
        int width = projected.dim(-1) / 2;
        int rows = projected.v().length / (2 * width);
        double[] out = new double[rows * width];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < width; i++) {
                double value = projected.v()[r * 2 * width + i];
                double gate = projected.v()[r * 2 * width + width + i];
                out[r * width + i] = value * Ref64.gelu(gate);
            }
        }
        int[] shape = x.shape().clone();
        shape[shape.length - 1] = width;
        return new Ref64(out, shape);
    }

    /** net.0 (GEGLU) → net.2 (linear); the dropout at net.1 is the identity at p = 0. */
    static Ref64 reference(Map<String, Ref64> p, String prefix, Ref64 x) {
        Ref64 inner = geglu(p, prefix + "net.0.", x);
        return Ref64.linear(inner, p.get(prefix + "net.2.weight"), p.get(prefix + "net.2.bias"));
    }

    @Test
    void referenceErfIsAccurate() {
        assertThat(Ref64.erf(0.5)).isCloseTo(0.5204998778130465, within(1e-15));
        assertThat(Ref64.erf(1)).isCloseTo(0.8427007929497149, within(1e-15));
        assertThat(Ref64.erf(-2)).isCloseTo(-0.9953222650189527, within(1e-15));
        assertThat(Ref64.erf(3)).isCloseTo(0.9999779095030014, within(1e-15));
        assertThat(Ref64.erf(4.5)).isCloseTo(0.9999999998033839, within(1e-15));
    }

    @Test
    void keysAndShapesFollowDiffusers() {
        FeedForward ff = new FeedForward(manager, 8, 4, 0f);
        Map<String, Ref64> p = Ref64.params(ff);
        assertThat(p.keySet()).containsExactly("net.0.proj.weight", "net.0.proj.bias", "net.2.weight", "net.2.bias");
        assertThat(p.get("net.0.proj.weight").shape()).containsExactly(64, 8); // 2 · 4 · dim rows: value and gate
        assertThat(p.get("net.2.weight").shape()).containsExactly(8, 32);
    }

    @Test
    void gegluMatchesFloat64Reference() {
        Random random = new Random(31);
        GEGLU geglu = new GEGLU(manager, 6, 10);
        RandomWeights.fill(geglu, random);
        Ref64 x = new Ref64(Tensors.normal(random, 36), 2, 3, 6);
        assertMatches(geglu.forward(x.toNd(manager)), geglu(Ref64.params(geglu), "", x));
    }

    @Test
    void feedForwardMatchesFloat64Reference() {
        Random random = new Random(32);
        FeedForward ff = new FeedForward(manager, 8, 4, 0f);
        RandomWeights.fill(ff, random);
        Ref64 x = new Ref64(Tensors.normal(random, 80), 2, 5, 8);
        assertMatches(ff.forward(x.toNd(manager)), reference(Ref64.params(ff), "", x));
    }
}
