package io.sara4j.diffusion.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.nn.Module;
import io.sara4j.core.nn.Parameter;
import io.sara4j.core.testing.Tensors;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Float64 reference primitives written as plain loops over row-major arrays, independent of the
 * engine: the yardstick for the UNet blocks. Each primitive follows the PyTorch definition of the
 * layer it checks (biased variance in the norms, exact erf GELU, 1/√d attention scale).
 */
final class Ref64 {
    private Ref64() {}

    /** A float64 tensor: shape and row-major values. */
    record T(long[] shape, double[] v) {
        T {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            if (n != v.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got " + v.length);
            }
        }

        static T zeros(long... shape) {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return new T(shape, new double[Math.toIntExact(n)]);
        }

        int dim(int axis) {
            return (int) shape[axis < 0 ? shape.length + axis : axis];
        }

        T reshape(long... newShape) {
            return new T(newShape, v);
        }

        NDArray toNd(NDManager manager) {
            return Tensors.float32(manager, v, new Shape(shape));
        }
    }

    /** The values and shape of {@code array}, widened to double. */
    static T of(NDArray array) {
        return new T(array.getShape().getShape(), Tensors.toDoubles(array));
    }

    /** Every parameter of {@code module} by key, as float64. */
    static Map<String, T> params(Module module) {
        Map<String, T> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : module.namedParameters().entrySet()) {
            out.put(e.getKey(), of(e.getValue().data()));
        }
        return out;
    }

    /**
     * Replaces every parameter by seeded values from the Java side, so that norms are not the
     * identity and biases are not zero: norm scales 1 ± 0.3, other 1-D tensors ±0.3, matrices and
     * kernels ±1/√fan_in.
     */
    static void randomize(Module module, Random random) {
        Map<String, NDArray> state = new LinkedHashMap<>();
        NDManager scratch = null;
        for (Map.Entry<String, Parameter> e : module.namedParameters().entrySet()) {
            Shape shape = e.getValue().shape();
            int n = Math.toIntExact(shape.size());
            double[] values;
            if (shape.dimension() == 1) {
                boolean normScale = e.getKey().endsWith("weight") && isNorm(e.getKey());
                values = Tensors.uniform(random, n, 0.3);
                if (normScale) {
                    for (int i = 0; i < n; i++) {
                        values[i] += 1;
                    }
                }
            } else {
                values = Tensors.uniform(random, n, 1 / Math.sqrt((double) n / shape.get(0)));
            }
            if (scratch == null) {
                scratch = e.getValue().data().getManager().newSubManager();
            }
            state.put(e.getKey(), Tensors.float32(scratch, values, shape));
        }
        module.loadStateDict(state, true, "random test values");
        if (scratch != null) {
            scratch.close();
        }
    }

    private static boolean isNorm(String key) {
        String[] parts = key.split("\\.");
        String owner = parts.length >= 2 ? parts[parts.length - 2] : "";
        return owner.startsWith("norm") || owner.equals("conv_norm_out");
    }

    // ------------------------------------------------------------------ elementwise

    static T add(T a, T b) {
        requireSameShape(a, b);
        double[] out = new double[a.v.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.v[i] + b.v[i];
        }
        return new T(a.shape, out);
    }

    static T scale(T a, double s) {
        double[] out = new double[a.v.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.v[i] * s;
        }
        return new T(a.shape, out);
    }

    static T silu(T a) {
        double[] out = new double[a.v.length];
        for (int i = 0; i < out.length; i++) {
            double x = a.v[i];
            out[i] = x / (1 + Math.exp(-x));
        }
        return new T(a.shape, out);
    }

    /** Exact GELU x·Φ(x). */
    static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    /**
     * erf to ~1e-15: Maclaurin series for |x| ≤ 2.5, the continued fraction of erfc beyond
     * (both converge fast in their range), ±1 past 6.
     */
    static double erf(double x) {
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
    static T linear(T x, T w, T b) {
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
        long[] shape = x.shape.clone();
        shape[shape.length - 1] = out;
        return new T(shape, y);
    }

    /**
     * 2-D convolution of x (N, C, H, W) with w (O, C, k, k), bias b (O) or null, zero padding
     * {@code padBefore} at the top/left and {@code padAfter} at the bottom/right.
     */
    static T conv2d(T x, T w, T b, int stride, int padBefore, int padAfter) {
        int n = x.dim(0);
        int c = x.dim(1);
        int h = x.dim(2);
        int wd = x.dim(3);
        int o = w.dim(0);
        int k = w.dim(2);
        if (w.dim(1) != c) {
            throw new IllegalArgumentException("conv2d: input channels " + c + " != " + w.dim(1));
        }
        int ho = (h + padBefore + padAfter - k) / stride + 1;
        int wo = (wd + padBefore + padAfter - k) / stride + 1;
        double[] y = new double[n * o * ho * wo];
        for (int in = 0; in < n; in++) {
            for (int oc = 0; oc < o; oc++) {
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        double s = b == null ? 0 : b.v[oc];
                        for (int ic = 0; ic < c; ic++) {
                            for (int ky = 0; ky < k; ky++) {
                                int iy = oy * stride + ky - padBefore;
                                if (iy < 0 || iy >= h) {
                                    continue;
                                }
                                for (int kx = 0; kx < k; kx++) {
                                    int ix = ox * stride + kx - padBefore;
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
        return new T(new long[] {n, o, ho, wo}, y);
    }

    /** Group norm of x (N, C, ...) with per-channel w, b and biased variance. */
    static T groupNorm(T x, int groups, T w, T b, double eps) {
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
        return new T(x.shape, y);
    }

    /** Layer norm of x over its last axis with biased variance. */
    static T layerNorm(T x, T w, T b, double eps) {
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
        return new T(x.shape, y);
    }

    /**
     * Multi-head attention with diffusers' key names under {@code prefix} (to_q/to_k/to_v without
     * bias, to_out.0 with bias): hidden (B, L, D), context (B, Lc, Dc) → (B, L, D).
     */
    static T attention(Map<String, T> p, String prefix, T hidden, T context, int heads) {
        T q = linear(hidden, p.get(prefix + "to_q.weight"), null);
        T k = linear(context, p.get(prefix + "to_k.weight"), null);
        T v = linear(context, p.get(prefix + "to_v.weight"), null);
        int batch = hidden.dim(0);
        int lq = hidden.dim(1);
        int lk = context.dim(1);
        int inner = q.dim(-1);
        int d = inner / heads;
        double scale = 1 / Math.sqrt(d);
        double[] merged = new double[batch * lq * inner];
        double[] scores = new double[lk];
        for (int bi = 0; bi < batch; bi++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < lq; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < lk; j++) {
                        double s = 0;
                        for (int e = 0; e < d; e++) {
                            s += q.v[(bi * lq + i) * inner + h * d + e] * k.v[(bi * lk + j) * inner + h * d + e];
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
                            s += scores[j] / sum * v.v[(bi * lk + j) * inner + h * d + e];
                        }
                        merged[(bi * lq + i) * inner + h * d + e] = s;
                    }
                }
            }
        }
        T attended = new T(new long[] {batch, lq, inner}, merged);
        return linear(attended, p.get(prefix + "to_out.0.weight"), p.get(prefix + "to_out.0.bias"));
    }

    /** Nearest-neighbour resize of x (N, C, H, W) to (outH, outW) with PyTorch's float32 index rule. */
    static T nearest(T x, int outH, int outW) {
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
        return new T(new long[] {n, c, outH, outW}, y);
    }

    private static int sourceIndex(int out, int inSize, int outSize) {
        if (outSize == 2 * inSize) {
            return out / 2;
        }
        float scale = (float) inSize / (float) outSize;
        return Math.min((int) Math.floor(out * scale), inSize - 1);
    }

    /** x (N, C, H, W) → (N, H·W, C). */
    static T toTokens(T x) {
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
        return new T(new long[] {n, hw, c}, y);
    }

    /** (N, H·W, C) → (N, C, H, W). */
    static T fromTokens(T x, int h, int w) {
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
        return new T(new long[] {n, c, h, w}, y);
    }

    /** Concatenation of a (N, Ca, H, W) and b (N, Cb, H, W) along channels, a first. */
    static T concatChannels(T a, T b) {
        int n = a.dim(0);
        int ca = a.dim(1);
        int cb = b.dim(1);
        int spatial = a.v.length / (n * ca);
        double[] y = new double[a.v.length + b.v.length];
        for (int in = 0; in < n; in++) {
            System.arraycopy(a.v, in * ca * spatial, y, in * (ca + cb) * spatial, ca * spatial);
            System.arraycopy(b.v, in * cb * spatial, y, (in * (ca + cb) + ca) * spatial, cb * spatial);
        }
        return new T(new long[] {n, ca + cb, a.dim(2), a.dim(3)}, y);
    }

    /** Adds a per-(sample, channel) value t (N, C) to every position of x (N, C, H, W). */
    static T addPerChannel(T x, T t) {
        int n = x.dim(0);
        int c = x.dim(1);
        int spatial = x.v.length / (n * c);
        double[] y = x.v.clone();
        for (int i = 0; i < n * c; i++) {
            for (int p = 0; p < spatial; p++) {
                y[i * spatial + p] += t.v[i];
            }
        }
        return new T(x.shape, y);
    }

    private static void requireSameShape(T a, T b) {
        if (!Arrays.equals(a.shape, b.shape)) {
            throw new IllegalArgumentException("shapes differ: " + Arrays.toString(a.shape) + " vs " + Arrays.toString(b.shape));
        }
    }
}
