package io.sara4j.diffusion.export;

import ai.djl.ndarray.types.DataType;
import io.sara4j.core.peft.BaseFingerprint;
import io.sara4j.core.peft.SparseAdapter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Approximates a sparse adapter (SaRA and the other sparse/dense methods) by LoRA factors: per 2-D
 * (Linear) or 4-D (Conv2d, flattened to out × in·k·k) weight, the dense ΔW (the deltas at their
 * positions, zero elsewhere) is factorised by a truncated SVD in float64, ΔW ≈ up·down with
 * up = U·√Σ (out × r) and down = √Σ·Vᵀ (r × fanIn), stored as float32.
 *
 * <p>This lives in sara-diffusion because EJML (the exact float64 SVD) is a main dependency here
 * and only a test dependency of sara-core; the layouts it feeds ({@link LoraLayout}) name UNet
 * modules the way diffusers and kohya do, which is diffusion-specific anyway.
 *
 * <p>1-D tensors (biases, norm scales) have no LoRA form; they are reported in
 * {@link Result#leftOut()} with their share of the adapter's ‖Δ‖².
 */
public final class LowRankExport {
    private LowRankExport() {}

    /** How many singular directions to keep per tensor. */
    public sealed interface Rule {
        /** A fixed rank, capped at min(out, fanIn). */
        record Rank(int rank) implements Rule {
            public Rank {
                if (rank < 1) {
                    throw new IllegalArgumentException("rank must be at least 1, got " + rank);
                }
            }
        }

        /** The smallest rank whose kept energy Σσ²(kept)/Σσ² reaches {@code energy}. */
        record Energy(double energy) implements Rule {
            public Energy {
                if (!(energy > 0 && energy <= 1)) {
                    throw new IllegalArgumentException("energy must be in (0, 1], got " + energy);
                }
            }
        }
    }

    /**
     * One exported weight.
     *
     * @param parameter the adapter's tensor name, e.g. {@code down_blocks.0.resnets.0.conv1.weight}
     * @param module the module path ({@code parameter} without {@code .weight})
     * @param shape the weight's shape (2-D or 4-D)
     * @param rank the kept rank r (0 when ΔW is zero: nothing is written for it)
     * @param maxRank min(out, fanIn)
     * @param squaredNorm ‖ΔW‖² (float64)
     * @param keptEnergy Σσ²(kept)/Σσ² (1 for a zero ΔW)
     * @param relativeError ‖ΔW − up·down‖/‖ΔW‖ with the float32 factors, computed in float64 (0 for a zero ΔW)
     * @param down r × fanIn, row-major
     * @param up out × r, row-major
     */
    public record Factor(String parameter, String module, long[] shape, int rank, int maxRank, double squaredNorm,
            double keptEnergy, double relativeError, float[] down, float[] up) {
        /** Rows of ΔW. */
        public int out() {
            return (int) shape[0];
        }

        /** Columns of ΔW: numel / out. */
        public int fanIn() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return (int) (n / shape[0]);
        }

        /** ‖ΔW − up·down‖². */
        public double squaredError() {
            return relativeError * relativeError * squaredNorm;
        }
    }

    /** A tensor that cannot be a LoRA factor, with ‖Δ‖² of its change. */
    public record LeftOut(String parameter, long[] shape, double squaredNorm) {}

    /**
     * The whole export.
     *
     * @param factors the 2-D and 4-D weights, in adapter order
     * @param leftOut the other tensors (1-D biases and norms, or weights of other ranks)
     * @param fingerprint the base fingerprint of the exported weights (for the loader's base check)
     */
    public record Result(List<Factor> factors, List<LeftOut> leftOut, BaseFingerprint fingerprint) {
        public Result {
            factors = Collections.unmodifiableList(new ArrayList<>(factors));
            leftOut = Collections.unmodifiableList(new ArrayList<>(leftOut));
        }

        /** ‖Δ‖² over every tensor of the adapter, factorised or not. */
        public double totalSquaredNorm() {
            return factors.stream().mapToDouble(Factor::squaredNorm).sum() + leftOutSquaredNorm();
        }

        /** ‖Δ‖² of the left-out tensors. */
        public double leftOutSquaredNorm() {
            return leftOut.stream().mapToDouble(LeftOut::squaredNorm).sum();
        }

        /** Σσ²(kept)/Σσ² over the factorised tensors (1 when they are all zero). */
        public double keptEnergy() {
            double total = factors.stream().mapToDouble(Factor::squaredNorm).sum();
            double kept = factors.stream().mapToDouble(f -> f.keptEnergy() * f.squaredNorm()).sum();
            return total == 0 ? 1 : kept / total;
        }

        /** sqrt(Σ‖ΔW − up·down‖² / Σ‖ΔW‖²) over the factorised tensors. */
        public double relativeError() {
            double total = factors.stream().mapToDouble(Factor::squaredNorm).sum();
            double err = factors.stream().mapToDouble(Factor::squaredError).sum();
            return total == 0 ? 0 : Math.sqrt(err / total);
        }
    }

    /**
     * Factorises every 2-D/4-D {@code *.weight} change of {@code adapter} by {@code rule}.
     *
     * @throws IllegalArgumentException if a weight is too large to hold densely (more than 2^31 entries)
     */
    public static Result export(SparseAdapter adapter, Rule rule) {
        List<Factor> factors = new ArrayList<>();
        List<LeftOut> leftOut = new ArrayList<>();
        Map<String, BaseFingerprint.TensorPrint> prints = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, SparseAdapter.Entry> e : adapter.entries().entrySet()) {
            String name = e.getKey();
            BaseFingerprint.TensorPrint print = adapter.fingerprint().tensors().get(name);
            long[] shape = print.shape().stream().mapToLong(Long::longValue).toArray();
            long[] positions = e.getValue().positions().toType(DataType.INT64, false).toLongArray();
            float[] delta = e.getValue().delta().toFloatArray();
            boolean factorisable = (shape.length == 2 || shape.length == 4) && name.endsWith(".weight");
            if (!factorisable) {
                double sq = 0;
                for (float d : delta) {
                    sq += (double) d * d;
                }
                leftOut.add(new LeftOut(name, shape, sq));
                continue;
            }
            long numel = 1;
            for (long d : shape) {
                numel *= d;
            }
            if (numel > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("tensor '" + name + "' has " + numel + " entries, too many for a dense SVD");
            }
            int out = (int) shape[0];
            int fanIn = (int) (numel / out);
            double[] dense = new double[(int) numel];
            for (int i = 0; i < positions.length; i++) {
                dense[(int) positions[i]] = delta[i];
            }
            factors.add(factorise(name, shape, new DMatrixRMaj(out, fanIn, true, dense), rule));
            prints.put(name, print);
        }
        return new Result(factors, leftOut, new BaseFingerprint(prints));
    }

    /** Truncated SVD of one dense ΔW (out × fanIn). */
    static Factor factorise(String name, long[] shape, DMatrixRMaj dw, Rule rule) {
        String module = name.substring(0, name.length() - ".weight".length());
        int out = dw.numRows;
        int fanIn = dw.numCols;
        int maxRank = Math.min(out, fanIn);
        double squaredNorm = 0;
        for (double v : dw.data) {
            squaredNorm += v * v;
        }
        if (squaredNorm == 0) {
            return new Factor(name, module, shape, 0, maxRank, 0, 1, 0, new float[0], new float[0]);
        }
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(out, fanIn, true, true, true);
        if (!svd.decompose(dw.copy())) {
            throw new IllegalStateException("SVD did not converge for '" + name + "'");
        }
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj w = svd.getW(null);
        DMatrixRMaj v = svd.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        int k = Math.min(w.numRows, w.numCols);
        double[] sigma2 = new double[k];
        double total = 0;
        for (int i = 0; i < k; i++) {
            sigma2[i] = w.get(i, i) * w.get(i, i);
            total += sigma2[i];
        }
        int rank = chooseRank(sigma2, total, maxRank, rule);
        double kept = 0;
        for (int i = 0; i < rank; i++) {
            kept += sigma2[i];
        }
        float[] up = new float[out * rank];
        float[] down = new float[rank * fanIn];
        for (int j = 0; j < rank; j++) {
            double s = Math.sqrt(w.get(j, j));
            for (int i = 0; i < out; i++) {
                up[i * rank + j] = (float) (u.get(i, j) * s);
            }
            for (int c = 0; c < fanIn; c++) {
                down[j * fanIn + c] = (float) (v.get(c, j) * s);
            }
        }
        double err = residual(dw, up, down, rank);
        return new Factor(name, module, shape, rank, maxRank, squaredNorm, kept / total, Math.sqrt(err / squaredNorm), down, up);
    }

    /** The rank {@code rule} picks for singular values whose squares are {@code sigma2} (descending). */
    static int chooseRank(double[] sigma2, double total, int maxRank, Rule rule) {
        if (rule instanceof Rule.Rank r) {
            return Math.min(r.rank(), maxRank);
        }
        double target = ((Rule.Energy) rule).energy();
        double kept = 0;
        for (int i = 0; i < sigma2.length; i++) {
            kept += sigma2[i];
            // the last rounding of the running sum must not keep one more direction than needed
            if (kept / total >= target - 1e-12) {
                return i + 1;
            }
        }
        return maxRank;
    }

    /** ‖ΔW − up·down‖² in float64 with the float32 factors as stored. */
    static double residual(DMatrixRMaj dw, float[] up, float[] down, int rank) {
        DMatrixRMaj u = new DMatrixRMaj(dw.numRows, rank);
        DMatrixRMaj d = new DMatrixRMaj(rank, dw.numCols);
        for (int i = 0; i < up.length; i++) {
            u.data[i] = up[i];
        }
        for (int i = 0; i < down.length; i++) {
            d.data[i] = down[i];
        }
        DMatrixRMaj product = new DMatrixRMaj(dw.numRows, dw.numCols);
        CommonOps_DDRM.mult(u, d, product);
        double err = 0;
        for (int i = 0; i < product.data.length; i++) {
            double r = dw.data[i] - product.data[i];
            err += r * r;
        }
        return err;
    }
}
