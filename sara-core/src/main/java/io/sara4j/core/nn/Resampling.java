package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;

/**
 * The parameterless halves of up- and downsampling: nearest-neighbour 2× enlargement and 2×2
 * average pooling, both on (N, C, H, W). Strided-convolution downsampling is a {@link Conv2d}
 * with stride 2.
 */
public final class Resampling {
    private Resampling() {}

    /** (N, C, H, W) → (N, C, 2H, 2W), each value copied into a 2×2 block ({@code F.interpolate(scale_factor=2, mode="nearest")}). */
    public static NDArray upsampleNearest2x(NDArray x) {
        return x.repeat(2, 2).repeat(3, 2);
    }

    /** (N, C, H, W) → (N, C, H/2, W/2), the mean of each 2×2 block ({@code F.avg_pool2d(kernel_size=2, stride=2)}). */
    public static NDArray avgPool2x(NDArray x) {
        return Pool.avgPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false, true);
    }
}
