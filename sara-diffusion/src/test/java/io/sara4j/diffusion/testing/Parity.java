package io.sara4j.diffusion.testing;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import io.sara4j.core.testing.Tensors;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The criterion every parity fixture (outputs recorded from diffusers/transformers for tiny
 * models) is held to: |actual − expected| ≤ 1e-4 + 1e-4·|expected| for every element, as
 * {@code numpy.allclose(actual, expected, rtol=1e-4, atol=1e-4)}.
 */
public final class Parity {
    /** Absolute part of the tolerance. */
    public static final double ATOL = 1e-4;
    /** Relative part of the tolerance. */
    public static final double RTOL = 1e-4;

    private static final Logger LOG = LoggerFactory.getLogger(Parity.class);

    private Parity() {}

    /**
     * Asserts equal shapes and the criterion for every element; a failure names {@code what}, the
     * worst element, both values and the error. Logs the largest errors either way.
     */
    public static void assertClose(String what, NDArray actual, NDArray expected) {
        assertThat(actual.getShape()).as("shape of %s", what).isEqualTo(expected.getShape());
        double[] a = Tensors.toDoubles(actual);
        double[] e = Tensors.toDoubles(expected);
        double maxAbs = 0;
        double worstRatio = 0;
        int worst = 0;
        for (int i = 0; i < a.length; i++) {
            double err = Math.abs(a[i] - e[i]);
            double ratio = err / (ATOL + RTOL * Math.abs(e[i]));
            if (Double.isNaN(ratio)) {
                ratio = Double.POSITIVE_INFINITY;
            }
            maxAbs = Math.max(maxAbs, err);
            if (ratio > worstRatio) {
                worstRatio = ratio;
                worst = i;
            }
        }
        LOG.info(String.format(Locale.ROOT, "parity %-30s max |err| %.3e, worst err/(atol+rtol|e|) %.3f", what,
                maxAbs, worstRatio));
        if (worstRatio > 1) {
            throw new AssertionError(String.format(Locale.ROOT,
                    "%s[%d] = %.9g, expected %.9g: error %.3g exceeds %.0e + %.0e·|expected|", what, worst,
                    a[worst], e[worst], Math.abs(a[worst] - e[worst]), ATOL, RTOL));
        }
    }
}
