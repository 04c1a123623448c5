package io.sara4j.diffusion.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.sara4j.core.testing.Tensors;
import java.util.Arrays;

/**
 * Float64 reference operations on plain row-major arrays, written directly from the PyTorch
 * definitions (no engine involved), so model outputs can be checked against an independent
 * computation.
 *
 * @param v the values, row-major
 * @param shape the shape
 */
public record Ref64(double[] v, int... shape) {
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
            shape[i] = (int) s[i];
        }
        return new Ref64(Tensors.toDoubles(a), shape);
    }

    /** An engine float32 array with these values. */
    public NDArray toNd(NDManager manager) {
        long[] s = new long[shape.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = shape[i];
        }
        return Tensors.float32(manager, v, new Shape(s));
    }

    public int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    public Ref64 reshape(int... newShape) {
        return new Ref64(v, newShape);
    }

    public Ref64 add(Ref64 o) {
        double[] out = new double[v.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = v[i] + o.v[i];
        }
        return new Ref64(out, shape);
    }

    public Ref64 map(java.util.function.DoubleUnaryOperator f) {
        double[] out = new double[v.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = f.applyAsDouble(v[i]);
        }
        return new Ref64(out, shape);
    }

    public static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    public static double quickGelu(double x) {
        return x / (1 + Math.exp(-1.702 * x));
    }

    /** Swaps the last two axes of a 3-D array. */
    public Ref64 transposeLast() {
        int b = shape[0];
        int r = shape[1];
        int c = shape[2];
        double[] out = new double[v.length];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < r; j++) {
                for (int k = 0; k < c; k++) {
                    out[(i * c + k) * r + j] = v[(i * r + j) * c + k];
                }
            }
        }
        return new Ref64(out, b, c, r);
    }

    /** Conv2d on (N, C, H, W) with weight (O, C, k, k), bias (O) or null, explicit zero pads. */
    public static Ref64 conv2d(Ref64 x, Ref64 w, Ref64 b, int stride, int padTop, int padBottom, int padLeft, int padRight) {
        int n = x.shape[0];
        int c = x.shape[1];
        int h = x.shape[2];
        int wd = x.shape[3];
        int o = w.shape[0];
        int k = w.shape[2];
        int ho = (h + padTop + padBottom - k) / stride + 1;
        int wo = (wd + padLeft + padRight - k) / stride + 1;
        double[] out = new double[n * o * ho * wo];
        for (int in = 0; in < n; in++) {
            for (int oc = 0; oc < o; oc++) {
                for (int y = 0; y < ho; y++) {
                    for (int xx = 0; xx < wo; xx++) {
                        double s = b == null ? 0 : b.v[oc];
                        for (int ic = 0; ic < c; ic++) {
                            for (int ky = 0; ky < k; ky++) {
                                int iy = y * stride + ky - padTop;
                                if (iy < 0 || iy >= h) {
                                    continue;
                                }
                                for (int kx = 0; kx < k; kx++) {
                                    int ix = xx * stride + kx - padLeft;
                                    if (ix < 0 || ix >= wd) {
                                        continue;
                                    }
                                    s += x.v[((in * c + ic) * h + iy) * wd + ix] * w.v[((oc * c + ic) * k + ky) * k + kx];
                                }
                            }
                        }
                        out[((in * o + oc) * ho + y) * wo + xx] = s;
                    }
                }
            }
        }
        return new Ref64(out, n, o, ho, wo);
    }

    /** Symmetric-padding convolution. */
    public static Ref64 conv2d(Ref64 x, Ref64 w, Ref64 b, int stride, int pad) {
        return conv2d(x, w, b, stride, pad, pad, pad, pad);
    }

    /** GroupNorm on (N, C, *) with biased variance. */
    public static Ref64 groupNorm(Ref64 x, int groups, Ref64 gamma, Ref64 beta, double eps) {
        int n = x.shape[0];
        int c = x.shape[1];
        int spatial = x.v.length / (n * c);
        int per = c / groups * spatial;
        double[] out = new double[x.v.length];
        for (int in = 0; in < n; in++) {
            for (int g = 0; g < groups; g++) {
                int start = (in * c + g * (c / groups)) * spatial;
                double mean = 0;
                for (int i = 0; i < per; i++) {
                    mean += x.v[start + i];
                }
                mean /= per;
                double var = 0;
                for (int i = 0; i < per; i++) {
                    var += (x.v[start + i] - mean) * (x.v[start + i] - mean);
                }
                var /= per;
                for (int i = 0; i < per; i++) {
                    int ch = g * (c / groups) + i / spatial;
                    out[start + i] = (x.v[start + i] - mean) / Math.sqrt(var + eps) * gamma.v[ch] + beta.v[ch];
                }
            }
        }
        return new Ref64(out, x.shape);
    }

    /** LayerNorm over the last axis. */
    public static Ref64 layerNorm(Ref64 x, Ref64 gamma, Ref64 beta, double eps) {
        int d = x.dim(-1);
        double[] out = new double[x.v.length];
        for (int r = 0; r < x.v.length / d; r++) {
            double mean = 0;
            for (int i = 0; i < d; i++) {
                mean += x.v[r * d + i];
            }
            mean /= d;
            double var = 0;
            for (int i = 0; i < d; i++) {
                var += Math.pow(x.v[r * d + i] - mean, 2);
            }
            var /= d;
            for (int i = 0; i < d; i++) {
                out[r * d + i] = (x.v[r * d + i] - mean) / Math.sqrt(var + eps) * gamma.v[i] + beta.v[i];
            }
        }
        return new Ref64(out, x.shape);
    }

    /** x·wᵀ + b over the last axis; w (O, K). */
    public static Ref64 linear(Ref64 x, Ref64 w, Ref64 b) {
        int k = x.dim(-1);
        int o = w.shape[0];
        int rows = x.v.length / k;
        double[] out = new double[rows * o];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < o; j++) {
                double s = b == null ? 0 : b.v[j];
                for (int i = 0; i < k; i++) {
                    s += x.v[r * k + i] * w.v[j * k + i];
                }
                out[r * o + j] = s;
            }
        }
        int[] shape = x.shape.clone();
        shape[shape.length - 1] = o;
        return new Ref64(out, shape);
    }

    /**
     * Multi-head attention core on (B, L, heads·d) projections: softmax(q·kᵀ·scale + mask)·v, heads
     * merged back; {@code causal} masks keys after the query.
     */
    public static Ref64 attention(Ref64 q, Ref64 k, Ref64 v, int heads, double scale, boolean causal) {
        int b = q.shape[0];
        int l = q.shape[1];
        int lk = k.shape[1];
        int width = q.shape[2];
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

    /** Nearest-neighbour 2× enlargement of (N, C, H, W). */
    public static Ref64 upsampleNearest2x(Ref64 x) {
        int nc = x.shape[0] * x.shape[1];
        int h = x.shape[2];
        int w = x.shape[3];
        double[] out = new double[nc * 4 * h * w];
        for (int p = 0; p < nc; p++) {
            for (int y = 0; y < 2 * h; y++) {
                for (int xx = 0; xx < 2 * w; xx++) {
                    out[(p * 2 * h + y) * 2 * w + xx] = x.v[(p * h + y / 2) * w + xx / 2];
                }
            }
        }
        return new Ref64(out, x.shape[0], x.shape[1], 2 * h, 2 * w);
    }

    /** max|a − b| over all entries. */
    public static double maxAbsDiff(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new AssertionError("length " + a.length + " != " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
