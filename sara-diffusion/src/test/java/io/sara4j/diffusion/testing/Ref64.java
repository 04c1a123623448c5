package io.sara4j.diffusion.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.testing.Tensors;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * A float64 tensor on plain row-major arrays, and the reference operations every model test checks
 * against: written as loops straight from the PyTorch definitions (biased variance in the norms,
 * exact erf GELU, 1/√d attention scale, PyTorch's nearest-neighbour index rule), with no engine
 * involved, so a model's output is compared with an independent computation.
 *
 * @param v the values, row-major
 * @param shape the shape
 */
public record Ref64(double[] v, int... shape) {
    /** Checks that {@code v} holds exactly the values {@code shape} needs. */
    public Ref64 {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        if (n != v.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got " + v.length);
        }
    }

    /** The values of an engine array, widened to double. */
    public static Ref64 of(NDArray a) {
        long[] s = a.getShape().getShape();
        int[] shape = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            shape[i] = Math.toIntExact(s[i]);
        }
        return new Ref64(Tensors.toDoubles(a), shape);
    }

    /** Every parameter of {@code module} by key, as float64. */
    public static Map<String, Ref64> params(Module module) {
        Map<String, Ref64> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : module.namedParameters().entrySet()) {
            out.put(e.getKey(), of(e.getValue().data()));
        }
        return out;
    }

    /** An engine float32 array with these values. */
    public NDArray toNd(NDManager manager) {
        return Tensors.float32(manager, v, new Shape(Arrays.stream(shape).asLongStream().toArray()));
    }

    /** The size of {@code axis}; negative axes count from the end. */
    public int dim(int axis) {
        return shape[axis < 0 ? shape.length + axis : axis];
    }

    /** The same values in another shape of the same size. */
    public Ref64 reshape(int... newShape) {
        return new Ref64(v, newShape);
    }

    // ------------------------------------------------------------------ elementwise

    /** this + o, of the same shape. */
    public Ref64 add(Ref64 o) {
        if (!Arrays.equals(shape, o.shape)) {
            throw new IllegalArgumentException("shapes differ: " + Arrays.toString(shape) + " vs "
                    + Arrays.toString(o.shape));
        }
        double[] out = new double[v.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = v[i] + o.v[i];
        }
        return new Ref64(out, shape);
    }

    /** this · s. */
    public Ref64 scale(double s) {
        return map(x -> x * s);
    }

    /** f applied to every value. */
    public Ref64 map(DoubleUnaryOperator f) {
        double[] out = new double[v.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = f.applyAsDouble(v[i]);
        }
        return new Ref64(out, shape);
    }

    /** x·σ(x). */
    public static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    /** x·σ(1.702·x), CLIP's activation. */
    public static double quickGelu(double x) {
        return x / (1 + Math.exp(-1.702 * x));
    }

    /** Exact GELU x·Φ(x). */
    public static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    /**
     * erf to ~1e-15: Maclaurin series for |x| ≤ 2.5, the continued fraction of erfc beyond
     * (both converge fast in their range), ±1 past 6.
     */
    public static double erf(double x) {
        double ax = Math.abs(x);
        double result;
        if (ax <= 2.5) {
            double term = ax;
            double sum = ax;
            double x2 = ax * ax;
            for (int n = 1; n < 200; n++) {
                term *= -x2 / n;
                double contribution = term / (2 * n + 1);
                sum += contribution;
                if (Math.abs(contribution) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            result = 2 / Math.sqrt(Math.PI) * sum;
        } else if (ax < 6) {
            // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
            double f = ax;
            for (int k = 120; k >= 1; k--) {
                f = ax + (k / 2.0) / f;
            }
            result = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        } else {
            result = 1;
        }
        return x < 0 ? -result : result;
    }

    // ------------------------------------------------------------------ layers

    /** x (..., in) · wᵀ + b with w (out, in); b may be null. */
    public static Ref64 linear(Ref64 x, Ref64 w, Ref64 b) {
        int in = w.dim(1);
        int out = w.dim(0);
        if (x.dim(-1) != in) {
            throw new IllegalArgumentException("linear: input width " + x.dim(-1) + " != " + in);
        }
        int rows = x.v.length / in;
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b.v[o];
                for (int i = 0; i < in; i++) {
                    s += x.v[r * in + i] * w.v[o * in + i];
                }
                y[r * out + o] = s;
            }
        }
        int[] shape = x.shape.clone();
        shape[shape.length - 1] = out;
        return new Ref64(y, shape);
    }

    /**
     * 2-D convolution of x (N, C, H, W) with w (O, C, k, k), bias b (O) or null, and explicit zero
     * padding on each side.
     */
    public static Ref64 conv2d(Ref64 x, Ref64 w, Ref64 b, int stride, int padTop, int padBottom, int padLeft,
            int padRight) {
        int n = x.dim(0);
        int c = x.dim(1);
        int h = x.dim(2);
        int wd = x.dim(3);
        int o = w.dim(0);
        int k = w.dim(2);
        if (w.dim(1) != c) {
            throw new IllegalArgumentException("conv2d: input channels " + c + " != " + w.dim(1));
        }
        int ho = (h + padTop + padBottom - k) / stride + 1;
        int wo = (wd + padLeft + padRight - k) / stride + 1;
        double[] y = new double[n * o * ho * wo];
        for (int in = 0; in < n; in++) {
            for (int oc = 0; oc < o; oc++) {
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        double s = b == null ? 0 : b.v[oc];
                        for (int ic = 0; ic < c; ic++) {
                            for (int ky = 0; ky < k; ky++) {
                                int iy = oy * stride + ky - padTop;
                                if (iy < 0 || iy >= h) {
                                    continue;
                                }
                                for (int kx = 0; kx < k; kx++) {
                                    int ix = ox * stride + kx - padLeft;
                                    if (ix < 0 || ix >= wd) {
                                        continue;
                                    }
                                    s += x.v[((in * c + ic) * h + iy) * wd + ix] * w.v[((oc * c + ic) * k + ky) * k + kx];
                                }
                            }
                        }
                        y[((in * o + oc) * ho + oy) * wo + ox] = s;
                    }
                }
            }
        }
        return new Ref64(y, n, o, ho, wo);
    }

    /** Convolution padding {@code padBefore} at the top and left, {@code padAfter} at the bottom and right. */
    public static Ref64 conv2d(Ref64 x, Ref64 w, Ref64 b, int stride, int padBefore, int padAfter) {
        return conv2d(x, w, b, stride, padBefore, padAfter, padBefore, padAfter);
    }

    /** Convolution with the same zero padding on every side. */
    public static Ref64 conv2d(Ref64 x, Ref64 w, Ref64 b, int stride, int pad) {
        return conv2d(x, w, b, stride, pad, pad, pad, pad);
    }

    /** Group norm of x (N, C, ...) with per-channel w, b and biased variance. */
    public static Ref64 groupNorm(Ref64 x, int groups, Ref64 w, Ref64 b, double eps) {
        int n = x.dim(0);
        int c = x.dim(1);
        int spatial = x.v.length / (n * c);
        int perGroup = c / groups;
        double[] y = new double[x.v.length];
        for (int in = 0; in < n; in++) {
            for (int g = 0; g < groups; g++) {
                int start = (in * c + g * perGroup) * spatial;
                int count = perGroup * spatial;
                double mean = 0;
                for (int i = 0; i < count; i++) {
                    mean += x.v[start + i];
                }
                mean /= count;
                double var = 0;
                for (int i = 0; i < count; i++) {
                    double d = x.v[start + i] - mean;
                    var += d * d;
                }
                var /= count;
                double inv = 1 / Math.sqrt(var + eps);
                for (int i = 0; i < count; i++) {
                    int ch = g * perGroup + i / spatial;
                    y[start + i] = (x.v[start + i] - mean) * inv * w.v[ch] + b.v[ch];
                }
            }
        }
        return new Ref64(y, x.shape);
    }

    /** Layer norm of x over its last axis with biased variance. */
    public static Ref64 layerNorm(Ref64 x, Ref64 w, Ref64 b, double eps) {
        int d = x.dim(-1);
        int rows = x.v.length / d;
        double[] y = new double[x.v.length];
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            for (int i = 0; i < d; i++) {
                mean += x.v[r * d + i];
            }
            mean /= d;
            double var = 0;
            for (int i = 0; i < d; i++) {
                double diff = x.v[r * d + i] - mean;
                var += diff * diff;
            }
            var /= d;
            double inv = 1 / Math.sqrt(var + eps);
            for (int i = 0; i < d; i++) {
                y[r * d + i] = (x.v[r * d + i] - mean) * inv * w.v[i] + b.v[i];
            }
        }
        return new Ref64(y, x.shape);
    }

    /**
     * Multi-head attention core on (B, L, heads·d) projections: softmax(q·kᵀ·scale + mask)·v, heads
     * merged back; {@code causal} masks keys after the query.
     */
    public static Ref64 attention(Ref64 q, Ref64 k, Ref64 v, int heads, double scale, boolean causal) {
        int b = q.dim(0);
        int l = q.dim(1);
        int lk = k.dim(1);
        int width = q.dim(2);
        int d = width / heads;
        double[] out = new double[b * l * width];
        double[] scores = new double[lk];
        for (int ib = 0; ib < b; ib++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < l; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < lk; j++) {
                        if (causal && j > i) {
                            scores[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double s = 0;
                        for (int e = 0; e < d; e++) {
                            s += q.v[(ib * l + i) * width + h * d + e] * k.v[(ib * lk + j) * width + h * d + e];
                        }
                        scores[j] = s * scale;
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < lk; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int e = 0; e < d; e++) {
                        double s = 0;
                        for (int j = 0; j < lk; j++) {
                            s += scores[j] / sum * v.v[(ib * lk + j) * width + h * d + e];
                        }
                        out[(ib * l + i) * width + h * d + e] = s;
                    }
                }
            }
        }
        return new Ref64(out, b, l, width);
    }

    /**
     * diffusers' {@code Attention} with its key names under {@code prefix} (to_q/to_k/to_v without
     * bias, to_out.0 with bias): hidden (B, L, D), context (B, Lc, Dc) → (B, L, D), scale 1/√d.
     */
    public static Ref64 diffusersAttention(Map<String, Ref64> p, String prefix, Ref64 hidden, Ref64 context,
            int heads) {
        Ref64 q = linear(hidden, p.get(prefix + "to_q.weight"), null);
        Ref64 k = linear(context, p.get(prefix + "to_k.weight"), null);
        Ref64 v = linear(context, p.get(prefix + "to_v.weight"), null);
        Ref64 attended = attention(q, k, v, heads, 1 / Math.sqrt((double) q.dim(-1) / heads), false);
        return linear(attended, p.get(prefix + "to_out.0.weight"), p.get(prefix + "to_out.0.bias"));
    }

    // ------------------------------------------------------------------ layout

    /** Nearest-neighbour resize of x (N, C, H, W) to (outH, outW) with PyTorch's float32 index rule. */
    public static Ref64 nearest(Ref64 x, int outH, int outW) {
        int n = x.dim(0);
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        double[] y = new double[n * c * outH * outW];
        for (int plane = 0; plane < n * c; plane++) {
            for (int oy = 0; oy < outH; oy++) {
                int iy = sourceIndex(oy, h, outH);
                for (int ox = 0; ox < outW; ox++) {
                    int ix = sourceIndex(ox, w, outW);
                    y[(plane * outH + oy) * outW + ox] = x.v[(plane * h + iy) * w + ix];
                }
            }
        }
        return new Ref64(y, n, c, outH, outW);
    }

    private static int sourceIndex(int out, int inSize, int outSize) {
        if (outSize == 2 * inSize) {
            return out / 2;
        }
        float scale = (float) inSize / (float) outSize;
        return Math.min((int) Math.floor(out * scale), inSize - 1);
    }

    /** x (N, C, H, W) → (N, H·W, C). */
    public static Ref64 toTokens(Ref64 x) {
        int n = x.dim(0);
        int c = x.dim(1);
        int hw = x.dim(2) * x.dim(3);
        double[] y = new double[x.v.length];
        for (int in = 0; in < n; in++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < hw; p++) {
                    y[(in * hw + p) * c + ch] = x.v[(in * c + ch) * hw + p];
                }
            }
        }
        return new Ref64(y, n, hw, c);
    }

    /** (N, H·W, C) → (N, C, H, W). */
    public static Ref64 fromTokens(Ref64 x, int h, int w) {
        int n = x.dim(0);
        int hw = x.dim(1);
        int c = x.dim(2);
        double[] y = new double[x.v.length];
        for (int in = 0; in < n; in++) {
            for (int p = 0; p < hw; p++) {
                for (int ch = 0; ch < c; ch++) {
                    y[(in * c + ch) * hw + p] = x.v[(in * hw + p) * c + ch];
                }
            }
        }
        return new Ref64(y, n, c, h, w);
    }

    /** Concatenation of a (N, Ca, H, W) and b (N, Cb, H, W) along channels, a first. */
    public static Ref64 concatChannels(Ref64 a, Ref64 b) {
        int n = a.dim(0);
        int ca = a.dim(1);
        int cb = b.dim(1);
        int spatial = a.v.length / (n * ca);
        double[] y = new double[a.v.length + b.v.length];
        for (int in = 0; in < n; in++) {
            System.arraycopy(a.v, in * ca * spatial, y, in * (ca + cb) * spatial, ca * spatial);
            System.arraycopy(b.v, in * cb * spatial, y, (in * (ca + cb) + ca) * spatial, cb * spatial);
        }
        return new Ref64(y, n, ca + cb, a.dim(2), a.dim(3));
    }

    /** Adds a per-(sample, channel) value t (N, C) to every position of x (N, C, H, W). */
    public static Ref64 addPerChannel(Ref64 x, Ref64 t) {
        int n = x.dim(0);
        int c = x.dim(1);
        int spatial = x.v.length / (n * c);
        double[] y = x.v.clone();
        for (int i = 0; i < n * c; i++) {
            for (int p = 0; p < spatial; p++) {
                y[i * spatial + p] += t.v[i];
            }
        }
        return new Ref64(y, x.shape);
    }
}
