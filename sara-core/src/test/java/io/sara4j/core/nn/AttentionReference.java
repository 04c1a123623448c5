package io.sara4j.core.nn;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Float64 references for {@link AttentionTest}, written as plain loops with hand-derived backward
 * passes: the attention core, the linear projections, the head split/merge and the whole
 * {@link Attention} module composed from them. Nothing here calls the engine.
 */
final class AttentionReference {
    private AttentionReference() {}

    /** Module dimensions; {@code cross} selects a context of width crossDim and length lk. */
    record Dims(int b, int l, int queryDim, int heads, int dimHead, boolean cross, int lk, int crossDim,
            boolean qkvBias) {
        int inner() {
            return heads * dimHead;
        }

        int contextLength() {
            return cross ? lk : l;
        }

        int contextDim() {
            return cross ? crossDim : queryDim;
        }
    }

    /** Output and input gradients of attention on flattened (B, H, L, D) arrays. */
    record Core(double[] out, double[] gq, double[] gk, double[] gv) {}

    /**
     * softmax(scale·Q·Kᵀ + M)·V per (batch, head) with its backward:
     * dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP)), dQ = scale·dS·K, dK = scale·dSᵀ·Q.
     *
     * @param mask full (B, H, Lq, Lk) additive mask, or {@code null}
     */
    static Core attention(int b, int h, int lq, int lk, int d, int dv, double[] q, double[] k,
            double[] v, double[] mask, double scale, double[] gOut) {
        double[] out = new double[b * h * lq * dv];
        double[] gq = new double[q.length];
        double[] gk = new double[k.length];
        double[] gv = new double[v.length];
        for (int bh = 0; bh < b * h; bh++) {
            int qo = bh * lq * d;
            int ko = bh * lk * d;
            int vo = bh * lk * dv;
            int oo = bh * lq * dv;
            for (int i = 0; i < lq; i++) {
                double[] p = new double[lk];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < lk; j++) {
                    double s = 0;
                    for (int e = 0; e < d; e++) {
                        s += q[qo + i * d + e] * k[ko + j * d + e];
                    }
                    p[j] = s * scale + (mask == null ? 0 : mask[(bh * lq + i) * lk + j]);
                    max = Math.max(max, p[j]);
                }
                double z = 0;
                for (int j = 0; j < lk; j++) {
                    p[j] = Math.exp(p[j] - max);
                    z += p[j];
                }
                double[] gp = new double[lk];
                double dot = 0;
                for (int j = 0; j < lk; j++) {
                    p[j] /= z;
                    for (int e = 0; e < dv; e++) {
                        out[oo + i * dv + e] += p[j] * v[vo + j * dv + e];
                        gv[vo + j * dv + e] += p[j] * gOut[oo + i * dv + e];
                        gp[j] += gOut[oo + i * dv + e] * v[vo + j * dv + e];
                    }
                    dot += p[j] * gp[j];
                }
                for (int j = 0; j < lk; j++) {
                    double gs = p[j] * (gp[j] - dot);
                    for (int e = 0; e < d; e++) {
                        gq[qo + i * d + e] += scale * gs * k[ko + j * d + e];
                        gk[ko + j * d + e] += scale * gs * q[qo + i * d + e];
                    }
                }
            }
        }
        return new Core(out, gq, gk, gv);
    }

    /** Broadcasts a (B, mh, mq, Lk) mask (mh, mq ∈ {1, H}/{1, Lq}) to a full (B, H, Lq, Lk) array. */
    static double[] expandMask(double[] mask, int b, int mh, int mq, int h, int lq, int lk) {
        double[] full = new double[b * h * lq * lk];
        for (int bb = 0; bb < b; bb++) {
            for (int hh = 0; hh < h; hh++) {
                for (int i = 0; i < lq; i++) {
                    for (int j = 0; j < lk; j++) {
                        int src = ((bb * mh + (mh == 1 ? 0 : hh)) * mq + (mq == 1 ? 0 : i)) * lk + j;
                        full[((bb * h + hh) * lq + i) * lk + j] = mask[src];
                    }
                }
            }
        }
        return full;
    }

    /** y = x·Wᵀ + b over rows of x, and its backward given dy. */
    record LinearRef(double[] y, double[] gx, double[] gw, double[] gb) {
        static LinearRef of(int rows, int in, int out, double[] x, double[] w, double[] b, double[] gy) {
            double[] y = new double[rows * out];
            double[] gx = new double[rows * in];
            double[] gw = new double[out * in];
            double[] gb = new double[out];
            for (int r = 0; r < rows; r++) {
                for (int o = 0; o < out; o++) {
                    double s = b == null ? 0 : b[o];
                    double g = gy == null ? 0 : gy[r * out + o];
                    for (int i = 0; i < in; i++) {
                        s += x[r * in + i] * w[o * in + i];
                        gx[r * in + i] += g * w[o * in + i];
                        gw[o * in + i] += g * x[r * in + i];
                    }
                    y[r * out + o] = s;
                    gb[o] += g;
                }
            }
            return new LinearRef(y, gx, gw, gb);
        }
    }

    /** (B, L, H·D) → (B, H, L, D), by index arithmetic. */
    static double[] splitRef(double[] x, int b, int l, int h, int d) {
        double[] out = new double[x.length];
        for (int bb = 0; bb < b; bb++) {
            for (int i = 0; i < l; i++) {
                for (int hh = 0; hh < h; hh++) {
                    for (int e = 0; e < d; e++) {
                        out[((bb * h + hh) * l + i) * d + e] = x[(bb * l + i) * h * d + hh * d + e];
                    }
                }
            }
        }
        return out;
    }

    /** (B, H, L, D) → (B, L, H·D), the inverse of {@link #splitRef}. */
    static double[] mergeRef(double[] x, int b, int l, int h, int d) {
        double[] out = new double[x.length];
        for (int bb = 0; bb < b; bb++) {
            for (int i = 0; i < l; i++) {
                for (int hh = 0; hh < h; hh++) {
                    for (int e = 0; e < d; e++) {
                        out[(bb * l + i) * h * d + hh * d + e] = x[((bb * h + hh) * l + i) * d + e];
                    }
                }
            }
        }
        return out;
    }

    /** Element-wise a + b. */
    static double[] sum(double[] a, double[] b) {
        double[] out = a.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] += b[i];
        }
        return out;
    }

    /** The whole module in float64 loops: forward and gradients for inputs and every parameter. */
    static Map<String, double[]> module(Dims dm, double[] hs, double[] ctx, Map<String, double[]> p,
            double[] mask, double[] gOut) {
        int b = dm.b(), l = dm.l(), lk = dm.contextLength(), h = dm.heads(), dh = dm.dimHead(), inner = dm.inner();
        double[] context = dm.cross() ? ctx : hs;
        double scale = 1 / Math.sqrt(dh);
        double[] q = LinearRef.of(b * l, dm.queryDim(), inner, hs, p.get("to_q.weight"), p.get("to_q.bias"), null).y;
        double[] k = LinearRef.of(b * lk, dm.contextDim(), inner, context, p.get("to_k.weight"), p.get("to_k.bias"),
                null).y;
        double[] v = LinearRef.of(b * lk, dm.contextDim(), inner, context, p.get("to_v.weight"), p.get("to_v.bias"),
                null).y;
        // forward of the attention core once without gradient, to get the merged heads
        double[] full = mask == null ? null : expandMask(mask, b, 1, 1, h, l, lk);
        Core probe = attention(b, h, l, lk, dh, dh, splitRef(q, b, l, h, dh), splitRef(k, b, lk, h, dh),
                splitRef(v, b, lk, h, dh), full, scale, new double[b * h * l * dh]);
        double[] merged = mergeRef(probe.out, b, l, h, dh);
        LinearRef out = LinearRef.of(b * l, inner, dm.queryDim(), merged, p.get("to_out.0.weight"),
                p.get("to_out.0.bias"), gOut);
        Core core = attention(b, h, l, lk, dh, dh, splitRef(q, b, l, h, dh), splitRef(k, b, lk, h, dh),
                splitRef(v, b, lk, h, dh), full, scale, splitRef(out.gx, b, l, h, dh));
        LinearRef bq = LinearRef.of(b * l, dm.queryDim(), inner, hs, p.get("to_q.weight"), p.get("to_q.bias"),
                mergeRef(core.gq, b, l, h, dh));
        LinearRef bk = LinearRef.of(b * lk, dm.contextDim(), inner, context, p.get("to_k.weight"), p.get("to_k.bias"),
                mergeRef(core.gk, b, lk, h, dh));
        LinearRef bv = LinearRef.of(b * lk, dm.contextDim(), inner, context, p.get("to_v.weight"), p.get("to_v.bias"),
                mergeRef(core.gv, b, lk, h, dh));
        Map<String, double[]> result = new LinkedHashMap<>();
        result.put("y", out.y);
        double[] gContext = sum(bk.gx, bv.gx);
        if (dm.cross()) {
            result.put("hiddenStates", bq.gx);
            result.put("context", gContext);
        } else {
            result.put("hiddenStates", sum(bq.gx, gContext)); // q, k and v all read the hidden states
        }
        result.put("to_q.weight", bq.gw);
        result.put("to_k.weight", bk.gw);
        result.put("to_v.weight", bv.gw);
        if (dm.qkvBias()) {
            result.put("to_q.bias", bq.gb);
            result.put("to_k.bias", bk.gb);
            result.put("to_v.bias", bv.gb);
        }
        result.put("to_out.0.weight", out.gw);
        result.put("to_out.0.bias", out.gb);
        return result;
    }
}
