package io.sara4j.cli.bench;

/**
 * One shape of {@code sara bench-rank}: the exact SVD route against fast Newton–Schulz on the same
 * P ⊙ M matrix.
 *
 * @param rows rows of the matrix
 * @param cols columns
 * @param nonZeros entries kept by the density
 * @param svdSeconds EJML's compact SVD and U·Vᵀ over the non-zero σ, per repeat
 * @param newtonSchulzSeconds {@link io.sara4j.core.peft.NewtonSchulz#fastPolar}, including the copy
 *     of the float32 matrix into the engine and of the factor back out, per repeat
 * @param iterations Newton–Schulz steps taken
 * @param gradientError ‖Q − U·Vᵀ‖_F / ‖U·Vᵀ‖_F
 * @param nuclearNormError |trace(Qᵀ·A) − Σσ| / Σσ
 * @param timeRatio median Newton–Schulz time over median SVD time
 */
public record RankBenchRow(int rows, int cols, long nonZeros, Spread svdSeconds, Spread newtonSchulzSeconds, int iterations,
        double gradientError, double nuclearNormError, double timeRatio) {

    /** "rows x cols", as given to {@code --shapes}. */
    public String shape() {
        return rows + "x" + cols;
    }
}
