package io.sara4j.core.nn;

import static io.sara4j.core.nn.AttentionReference.expandMask;
import static io.sara4j.core.nn.AttentionReference.splitRef;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.AttentionReference.Core;
import io.sara4j.core.nn.AttentionReference.Dims;
import io.sara4j.core.testing.Tensors;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ScaledDotProductAttention} (functional) and the {@link Attention} module (projections,
 * heads, mask, output projection) against the float64 loops of {@link AttentionReference}, and
 * their float64 autograd gradients against central finite differences.
 */
class AttentionTest {
    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = Engines.pytorch().newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    // ---------------------------------------------------------------- functional attention

    /** A (B, 1, Lq, Lk) mask: −∞ on some keys, a different set per batch element and query. */
    private static double[] blockingMask(int b, int lq, int lk, double blocked) {
        double[] m = new double[b * lq * lk];
        for (int bb = 0; bb < b; bb++) {
            for (int i = 0; i < lq; i++) {
                for (int j = 0; j < lk; j++) {
                    // blocks key (bb + i) mod lk and, for batch 1, also key lk − 1; never a whole row
                    boolean block = j == (bb + i) % lk || (bb == 1 && j == lk - 1 && i % 2 == 0);
                    m[(bb * lq + i) * lk + j] = block ? blocked : 0;
                }
            }
        }
        return m;
    }

    @Test
    void functionalAttentionMatchesFloat64LoopsWithMaskAndGradients() {
        int b = 2, h = 3, lq = 4, lk = 5, d = 4, dv = 3;
        Random r = new Random(1);
        double[] q = Tensors.normal(r, b * h * lq * d);
        double[] k = Tensors.normal(r, b * h * lk * d);
        double[] v = Tensors.normal(r, b * h * lk * dv);
        double[] c = Tensors.normal(r, b * h * lq * dv);
        double[] mask = blockingMask(b, lq, lk, Double.NEGATIVE_INFINITY);
        float scale = (float) (1 / Math.sqrt(d));
        NDArray qs = Tensors.float32(manager, q, new Shape(b, h, lq, d));
        NDArray ks = Tensors.float32(manager, k, new Shape(b, h, lk, d));
        NDArray vs = Tensors.float32(manager, v, new Shape(b, h, lk, dv));
        NDArray ms = Tensors.float32(manager, mask, new Shape(b, 1, lq, lk));
        qs.setRequiresGradient(true);
        ks.setRequiresGradient(true);
        vs.setRequiresGradient(true);

        NDArray y = Tensors.forwardBackward(
                () -> ScaledDotProductAttention.attention(qs, ks, vs, ms, scale, false), c);

        Core ref = AttentionReference.attention(b, h, lq, lk, d, dv, q, k, v,
                expandMask(mask, b, 1, lq, h, lq, lk), scale, c);
        assertThat(y.getShape()).isEqualTo(new Shape(b, h, lq, dv));
        Tensors.assertClose("out", Tensors.toDoubles(y), ref.out(), 1e-5);
        Tensors.assertClose("dq", Tensors.toDoubles(qs.getGradient()), ref.gq(), 1e-4);
        Tensors.assertClose("dk", Tensors.toDoubles(ks.getGradient()), ref.gk(), 1e-4);
        Tensors.assertClose("dv", Tensors.toDoubles(vs.getGradient()), ref.gv(), 1e-4);

        // the reference without the mask differs, so the comparison above did test the masking
        double[] unmasked = AttentionReference.attention(b, h, lq, lk, d, dv, q, k, v, null, scale, c).out();
        assertThat(Tensors.maxRelativeError(ref.out(), unmasked)).as("the mask changes the result").isGreaterThan(1e-2);
    }

    /**
     * Score matrices above the chunk size are computed in query chunks (here 3 uneven ones), plainly
     * and, inside a checkpointed block, each checkpointed on its own: both give the float64
     * reference's output and gradients, with a mask that differs per query.
     */
    @Test
    void queryChunksMatchFloat64LoopsPlainAndCheckpointed() {
        int b = 2, h = 3, lq = 7, lk = 5, d = 4, dv = 3;
        Random r = new Random(4);
        double[] q = Tensors.normal(r, b * h * lq * d);
        double[] k = Tensors.normal(r, b * h * lk * d);
        double[] v = Tensors.normal(r, b * h * lk * dv);
        double[] c = Tensors.normal(r, b * h * lq * dv);
        double[] mask = blockingMask(b, lq, lk, Double.NEGATIVE_INFINITY);
        float scale = (float) (1 / Math.sqrt(d));
        long chunkBytes = (long) b * h * 3 * lk * Float.BYTES; // three query rows per chunk: 3 + 3 + 1
        Core ref = AttentionReference.attention(b, h, lq, lk, d, dv, q, k, v,
                expandMask(mask, b, 1, lq, h, lq, lk), scale, c);
        for (boolean checkpointed : new boolean[] {false, true}) {
            try (NDManager step = manager.newSubManager()) {
                NDArray qs = Tensors.float32(step, q, new Shape(b, h, lq, d));
                NDArray ks = Tensors.float32(step, k, new Shape(b, h, lk, d));
                NDArray vs = Tensors.float32(step, v, new Shape(b, h, lk, dv));
                NDArray ms = Tensors.float32(step, mask, new Shape(b, 1, lq, lk));
                NDArray weights = Tensors.float32(step, c, new Shape(b, h, lq, dv));
                for (NDArray x : new NDArray[] {qs, ks, vs}) {
                    x.setRequiresGradient(true);
                }
                NDArray y;
                try (ai.djl.training.GradientCollector collector = Engines.pytorch().newGradientCollector()) {
                    java.util.function.Function<NDArray[], NDArray> block = in -> ScaledDotProductAttention.attention(
                            Scalars.mul(in[0], 1), in[1], in[2], ms, scale, false, chunkBytes);
                    y = checkpointed ? GradientCheckpointing.run(block, qs, ks, vs) : block.apply(new NDArray[] {qs, ks, vs});
                    Autograd.backward(y.mul(weights).sum());
                }
                String what = checkpointed ? "checkpointed " : "plain ";
                Tensors.assertClose(what + "out", Tensors.toDoubles(y), ref.out(), 1e-5);
                Tensors.assertClose(what + "dq", Tensors.toDoubles(qs.getGradient()), ref.gq(), 1e-4);
                Tensors.assertClose(what + "dk", Tensors.toDoubles(ks.getGradient()), ref.gk(), 1e-4);
                Tensors.assertClose(what + "dv", Tensors.toDoubles(vs.getGradient()), ref.gv(), 1e-4);
            }
        }
    }

    @Test
    void functionalAttentionFloat64GradientsMatchCentralDifferences() {
        int b = 2, h = 2, lq = 3, lk = 4, d = 3, dv = 2;
        Random r = new Random(2);
        double[] q = Tensors.normal(r, b * h * lq * d);
        double[] k = Tensors.normal(r, b * h * lk * d);
        double[] v = Tensors.normal(r, b * h * lk * dv);
        double[] c = Tensors.normal(r, b * h * lq * dv);
        double[] mask = blockingMask(b, lq, lk, -1e4);
        Shape qShape = new Shape(b, h, lq, d);
        Shape kShape = new Shape(b, h, lk, d);
        Shape vShape = new Shape(b, h, lk, dv);
        Shape mShape = new Shape(b, 1, lq, lk);
        float scale = 0.7f;
        NDArray qs = Tensors.float64(manager, q, qShape);
        NDArray ks = Tensors.float64(manager, k, kShape);
        NDArray vs = Tensors.float64(manager, v, vShape);
        NDArray ms = Tensors.float64(manager, mask, mShape);
        qs.setRequiresGradient(true);
        ks.setRequiresGradient(true);
        vs.setRequiresGradient(true);
        NDArray y = Tensors.forwardBackward(
                () -> ScaledDotProductAttention.attention(qs, ks, vs, ms, scale, true), c);
        assertThat(y.getDataType()).isEqualTo(DataType.FLOAT64);

        double[][] inputs = {q, k, v};
        Shape[] shapes = {qShape, kShape, vShape};
        NDArray[] arrays = {qs, ks, vs};
        for (int t = 0; t < 3; t++) {
            int which = t;
            ToDoubleFunction<double[]> loss = values -> {
                try (NDManager sub = manager.newSubManager()) {
                    NDArray[] in = new NDArray[3];
                    for (int s = 0; s < 3; s++) {
                        in[s] = Tensors.float64(sub, s == which ? values : inputs[s], shapes[s]);
                    }
                    NDArray out = ScaledDotProductAttention.attention(in[0], in[1], in[2],
                            Tensors.float64(sub, mask, mShape), scale, true);
                    return Tensors.weightedSum(out, c);
                }
            };
            int[] idx = Tensors.sampleIndices(r, inputs[t].length, 16);
            double[] fd = Tensors.centralDifferences(loss, inputs[t].clone(), idx, 1e-6);
            Tensors.assertClose("d" + "qkv".charAt(t) + " vs finite differences",
                    Tensors.gather(Tensors.toDoubles(arrays[t].getGradient()), idx), fd, 1e-6);
        }
    }

    @Test
    void headSplitAndMergeFollowDiffusersLayout() {
        int b = 2, l = 3, h = 2, d = 4;
        double[] x = Tensors.normal(new Random(3), b * l * h * d);
        NDArray xs = Tensors.float32(manager, x, new Shape(b, l, h * d));
        NDArray split = ScaledDotProductAttention.splitHeads(xs, h);
        assertThat(split.getShape()).isEqualTo(new Shape(b, h, l, d));
        assertThat(Tensors.toDoubles(split)).containsExactly(splitRef(x, b, l, h, d));
        NDArray merged = ScaledDotProductAttention.mergeHeads(split);
        assertThat(merged.getShape()).isEqualTo(new Shape(b, l, h * d));
        assertThat(Tensors.toDoubles(merged)).containsExactly(x);
    }

    @Test
    void upcastComputesHalfPrecisionScoresInFloat32() {
        int b = 1, h = 2, l = 3, d = 4;
        Random r = new Random(4);
        double[] q = Tensors.normal(r, b * h * l * d);
        double[] k = Tensors.normal(r, b * h * l * d);
        double[] v = Tensors.normal(r, b * h * l * d);
        Shape s = new Shape(b, h, l, d);
        NDArray out = ScaledDotProductAttention.attention(
                Tensors.float32(manager, q, s).toType(DataType.FLOAT16, false),
                Tensors.float32(manager, k, s).toType(DataType.FLOAT16, false),
                Tensors.float32(manager, v, s).toType(DataType.FLOAT16, false), null, 0.5f, true);
        assertThat(out.getDataType()).isEqualTo(DataType.FLOAT16);
        double[] ref = AttentionReference.attention(b, h, l, l, d, d, q, k, v, null, 0.5,
                new double[b * h * l * d]).out();
        assertThat(Tensors.maxRelativeError(Tensors.toDoubles(out), ref)).isLessThan(5e-3);
    }

    // ---------------------------------------------------------------- the Attention module

    /** Random parameter values keyed like the module's state dict. */
    private static Map<String, double[]> randomParameters(Dims dm, Random r) {
        Map<String, double[]> p = new LinkedHashMap<>();
        p.put("to_q.weight", Tensors.uniform(r, dm.inner() * dm.queryDim(), 0.6));
        if (dm.qkvBias()) {
            p.put("to_q.bias", Tensors.uniform(r, dm.inner(), 0.6));
        }
        p.put("to_k.weight", Tensors.uniform(r, dm.inner() * dm.contextDim(), 0.6));
        if (dm.qkvBias()) {
            p.put("to_k.bias", Tensors.uniform(r, dm.inner(), 0.6));
        }
        p.put("to_v.weight", Tensors.uniform(r, dm.inner() * dm.contextDim(), 0.6));
        if (dm.qkvBias()) {
            p.put("to_v.bias", Tensors.uniform(r, dm.inner(), 0.6));
        }
        p.put("to_out.0.weight", Tensors.uniform(r, dm.queryDim() * dm.inner(), 0.6));
        p.put("to_out.0.bias", Tensors.uniform(r, dm.queryDim(), 0.6));
        p.replaceAll((key, values) -> Tensors.roundToFloat(values));
        return p;
    }

    /** A (B, 1, 1, Lk) additive mask blocking key 1 of batch 0 and keys 0 and Lk−1 of batch 1. */
    private static double[] keyMask(int b, int lk, double blocked) {
        double[] m = new double[b * lk];
        m[1] = blocked;
        if (b > 1) {
            m[lk] = blocked;
            m[lk + lk - 1] = blocked;
        }
        return m;
    }

    private Attention build(Dims dm, NDManager m) {
        return new Attention(m, dm.queryDim(), dm.contextDim(), dm.heads(), dm.dimHead(), 0f, dm.qkvBias(), false);
    }

    private void checkModule(Dims dm, boolean withMask, long seed) {
        Random r = new Random(seed);
        double[] hs = Tensors.normal(r, dm.b() * dm.l() * dm.queryDim());
        double[] ctx = dm.cross() ? Tensors.normal(r, dm.b() * dm.lk() * dm.crossDim()) : null;
        Map<String, double[]> params = randomParameters(dm, r);
        double[] c = Tensors.normal(r, dm.b() * dm.l() * dm.queryDim());
        double[] mask = withMask ? keyMask(dm.b(), dm.contextLength(), -10000) : null;

        Attention attention = build(dm, manager);
        assertThat(attention.namedParameters().keySet()).containsExactlyElementsOf(params.keySet());
        assertThat(attention.heads()).isEqualTo(dm.heads());
        attention.namedParameters().forEach((key, param) -> {
            param.copyFrom(Tensors.float32(manager, params.get(key), param.shape()));
            param.data().setRequiresGradient(true);
        });
        NDArray hsArray = Tensors.float32(manager, hs, new Shape(dm.b(), dm.l(), dm.queryDim()));
        hsArray.setRequiresGradient(true);
        NDArray ctxArray = dm.cross() ? Tensors.float32(manager, ctx, new Shape(dm.b(), dm.lk(), dm.crossDim())) : null;
        if (ctxArray != null) {
            ctxArray.setRequiresGradient(true);
        }
        NDArray maskArray = withMask
                ? Tensors.float32(manager, mask, new Shape(dm.b(), 1, 1, dm.contextLength()))
                : null;

        NDArray y = Tensors.forwardBackward(() -> attention.forward(hsArray, ctxArray, maskArray), c);

        Map<String, double[]> ref = AttentionReference.module(dm, hs, ctx, params, mask, c);
        assertThat(y.getShape()).isEqualTo(new Shape(dm.b(), dm.l(), dm.queryDim()));
        Tensors.assertClose("y", Tensors.toDoubles(y), ref.get("y"), 1e-5);
        Tensors.assertClose("d hiddenStates", Tensors.toDoubles(hsArray.getGradient()), ref.get("hiddenStates"), 1e-4);
        if (ctxArray != null) {
            Tensors.assertClose("d context", Tensors.toDoubles(ctxArray.getGradient()), ref.get("context"), 1e-4);
        }
        attention.namedParameters().forEach((key, param) -> {
            double[] grad = Tensors.toDoubles(param.data().getGradient());
            if (key.equals("to_k.bias")) {
                assertNegligible("d to_k.bias", grad, ref.get("to_k.weight"), 1e-6);
            } else {
                Tensors.assertClose("d " + key, grad, ref.get(key), 1e-4);
            }
        });
        if (withMask) {
            double[] unmasked = AttentionReference.module(dm, hs, ctx, params, null, c).get("y");
            assertThat(Tensors.maxRelativeError(ref.get("y"), unmasked)).as("the mask matters").isGreaterThan(1e-2);
        }
    }

    /**
     * The key bias adds q·b_k to every score of a query row, which softmax ignores: its gradient is
     * zero in exact arithmetic, so it is checked to be negligible next to the key weight's gradient
     * rather than by a relative error against a reference that is itself rounding noise.
     */
    private static void assertNegligible(String what, double[] values, double[] scaleOf, double tolerance) {
        double scale = 0;
        for (double v : scaleOf) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (double v : values) {
            assertThat(Math.abs(v)).as(what + " relative to %.3g", scale).isLessThanOrEqualTo(tolerance * scale);
        }
    }

    @Test
    void selfAttentionModuleMatchesFloat64LoopsWithGradients() {
        checkModule(new Dims(2, 4, 6, 2, 3, false, 0, 0, false), false, 5);
    }

    @Test
    void maskedSelfAttentionWithQkvBiasMatchesFloat64Loops() {
        checkModule(new Dims(2, 5, 4, 2, 2, false, 0, 0, true), true, 6);
    }

    @Test
    void maskedCrossAttentionModuleMatchesFloat64LoopsWithGradients() {
        // Stable Diffusion's attn2: context of another width and length, no q/k/v bias
        checkModule(new Dims(2, 4, 6, 3, 2, true, 5, 7, false), true, 7);
    }

    @Test
    void crossAttentionModuleFloat64GradientsMatchCentralDifferences() {
        Dims dm = new Dims(2, 3, 4, 2, 2, true, 4, 3, true);
        Random r = new Random(8);
        double[] hs = Tensors.normal(r, dm.b() * dm.l() * dm.queryDim());
        double[] ctx = Tensors.normal(r, dm.b() * dm.lk() * dm.crossDim());
        Map<String, double[]> params = randomParameters(dm, r);
        double[] c = Tensors.normal(r, dm.b() * dm.l() * dm.queryDim());
        double[] mask = keyMask(dm.b(), dm.lk(), -1e4);
        Shape hsShape = new Shape(dm.b(), dm.l(), dm.queryDim());
        Shape ctxShape = new Shape(dm.b(), dm.lk(), dm.crossDim());
        Shape maskShape = new Shape(dm.b(), 1, 1, dm.lk());

        Attention attention = build(dm, manager);
        attention.convertTo(DataType.FLOAT64);
        Map<String, Parameter> named = attention.namedParameters();
        named.forEach((key, param) -> {
            param.copyFrom(Tensors.float64(manager, params.get(key), param.shape()));
            param.data().setRequiresGradient(true);
        });
        NDArray hsArray = Tensors.float64(manager, hs, hsShape);
        NDArray ctxArray = Tensors.float64(manager, ctx, ctxShape);
        hsArray.setRequiresGradient(true);
        ctxArray.setRequiresGradient(true);
        NDArray maskArray = Tensors.float64(manager, mask, maskShape);
        NDArray y = Tensors.forwardBackward(() -> attention.forward(hsArray, ctxArray, maskArray), c);
        assertThat(y.getDataType()).isEqualTo(DataType.FLOAT64);
        Map<String, double[]> autograd = new LinkedHashMap<>();
        autograd.put("hiddenStates", Tensors.toDoubles(hsArray.getGradient()));
        autograd.put("context", Tensors.toDoubles(ctxArray.getGradient()));
        named.forEach((key, param) -> autograd.put(key, Tensors.toDoubles(param.data().getGradient())));

        for (String key : autograd.keySet()) {
            ToDoubleFunction<double[]> loss = values -> {
                try (NDManager sub = manager.newSubManager()) {
                    if (named.containsKey(key)) {
                        named.get(key).copyFrom(Tensors.float64(sub, values, named.get(key).shape()));
                    }
                    NDArray h = Tensors.float64(sub, key.equals("hiddenStates") ? values : hs, hsShape);
                    NDArray x = Tensors.float64(sub, key.equals("context") ? values : ctx, ctxShape);
                    return Tensors.weightedSum(attention.forward(h, x, Tensors.float64(sub, mask, maskShape)), c);
                }
            };
            double[] at = key.equals("hiddenStates") ? hs : key.equals("context") ? ctx : params.get(key);
            int[] idx = Tensors.sampleIndices(r, at.length, 8);
            double[] fd = Tensors.centralDifferences(loss, at.clone(), idx, 1e-6);
            if (named.containsKey(key)) {
                named.get(key).copyFrom(Tensors.float64(manager, params.get(key), named.get(key).shape()));
            }
            if (key.equals("to_k.bias")) {
                double[] scale = autograd.get("to_k.weight");
                assertNegligible("d to_k.bias", Tensors.gather(autograd.get(key), idx), scale, 1e-9);
                assertNegligible("finite differences of to_k.bias", fd, scale, 1e-6);
            } else {
                Tensors.assertClose("d " + key + " vs finite differences", Tensors.gather(autograd.get(key), idx), fd,
                        1e-6);
            }
        }
    }
}
