package io.sara4j.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

/**
 * {@code torch.nn.Conv2d} with square kernels: stride, zero padding, dilation and groups.
 *
 * <p>Shapes: input (N, in, H, W), weight (out, in/groups, k, k), bias (out), output (N, out, H', W')
 * with H' = (H + 2·padding − dilation·(k − 1) − 1) / stride + 1. Keys: {@code weight}, {@code bias}.
 */
public final class Conv2d extends Module {
    private final int stride;
    private final int padding;
    private final int dilation;
    private final int groups;
    private final Parameter weight;
    private final Parameter bias;

    /** A convolution with bias, dilation 1 and one group. */
    public Conv2d(NDManager manager, int inChannels, int outChannels, int kernel, int stride, int padding) {
        this(manager, inChannels, outChannels, kernel, stride, padding, 1, 1, true);
    }

    /** The general form; PyTorch's default initialisation with fan-in = in/groups·k·k. */
    public Conv2d(NDManager manager, int inChannels, int outChannels, int kernel, int stride, int padding,
            int dilation, int groups, boolean bias) {
        if (inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("groups=" + groups + " must divide in_channels=" + inChannels
                    + " and out_channels=" + outChannels);
        }
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.groups = groups;
        long fanIn = (long) inChannels / groups * kernel * kernel;
        this.weight = registerParameter("weight",
                Init.defaultUniform(manager, new Shape(outChannels, inChannels / groups, kernel, kernel), fanIn));
        this.bias = bias ? registerParameter("bias", Init.defaultUniform(manager, new Shape(outChannels), fanIn)) : null;
    }

    /**
     * Applies the convolution to {@code x} of shape (N, in, H, W), with {@code weight.value()}, or,
     * when the weight's adaptation is a {@link Conv2dAdaptation}, through that adaptation.
     */
    public NDArray forward(NDArray x) {
        NDArray b = bias == null ? null : bias.value();
        if (weight.adaptation() instanceof Conv2dAdaptation adapted) {
            return adapted.conv2d(x, weight.data(), b, stride, padding, dilation, groups, isTraining());
        }
        return conv2d(x, weight.value(), b, stride, padding, dilation, groups);
    }

    /**
     * The functional form; {@code b} may be {@code null}. The result belongs to {@code x}'s manager.
     *
     * <p>Every convolution of the project goes through here, because of a libtorch 2.7.1 (oneDNN
     * 3.7.1) defect on some CPUs (measured on AMD Zen 5 with AVX-512): its blocked convolution
     * kernels, which work on channels in blocks of 16, handle a partial last block wrongly.
     * <ul>
     *   <li>Input channels: the forward result is wrong, or NaN, for a 3×3 convolution whose input
     *       channel count is above 16 and not a multiple of 16 (relative error ≈ 0.2 at 24 → 16,
     *       batch 2, 8×8; the skip concatenations of small UNets, 8 + 16 = 24, hit it).</li>
     *   <li>Output channels: the input gradient is wrong, or NaN, when the output channel count is
     *       not a multiple of 16 (0.3 to 0.7 at 64 → 4 and 512 → 8): the UNet's {@code conv_out}
     *       (→ 4 channels) sits above every other layer, so that one gradient corrupts all of them.</li>
     * </ul>
     * So oneDNN is only handed partial blocks where they were measured right. Input channels above
     * 16 are zero-padded to a multiple of 16, in the input and the weight (up to 16 the forward is
     * right, and padding the 3 or 4 channels of an image or latent would only cost time). While a
     * graph is being recorded (inside a gradient collector), the weight and bias are zero-padded to
     * a multiple of 16 output channels and the output is sliced back. Padded channels are zero and never reach the result, so the forward
     * values and every gradient are those of the unpadded convolution; SD's own widths (320, 640,
     * 1280, multiples of 16) are never padded. docs/engine.md has the measurements, and
     * {@link EngineSelfCheck} checks this path at start-up.
     */
    public static NDArray conv2d(NDArray x, NDArray w, NDArray b, int stride, int padding, int dilation, int groups) {
        long in = w.getShape().get(1);
        long out = w.getShape().get(0);
        long inBlocks = in <= CHANNEL_BLOCK ? in : wholeBlocks(in); // up to one block the forward is right
        long outBlocks = JniUtils.isGradMode() ? wholeBlocks(out) : out; // the forward is right for any out
        if (groups != 1 || (in == inBlocks && out == outBlocks)) {
            return rawConv2d(x, w, b, stride, padding, dilation, groups);
        }
        // The padded copies are temporaries of this call: they go to the input's manager (freed with
        // the step), not to the weight's, which lives as long as the model.
        NDManager scope = x.getManager();
        NDArray xPadded = padChannels(x, 1, inBlocks, scope);
        NDArray wPadded = padChannels(padChannels(w, 1, inBlocks, scope), 0, outBlocks, scope);
        NDArray bPadded = b == null ? null : padChannels(b, 0, outBlocks, scope);
        NDArray y = rawConv2d(xPadded, wPadded, bPadded, stride, padding, dilation, groups);
        return out == outBlocks ? y : y.get(":, :" + out);
    }

    /** Channels per oneDNN block; counts that are multiples of it are handled right. */
    static final int CHANNEL_BLOCK = 16;

    private static long wholeBlocks(long channels) {
        return (channels + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK * CHANNEL_BLOCK;
    }

    /** {@code a} with zeros appended along {@code axis} up to {@code size}, in {@code scope}; {@code a} itself if it has that size. */
    private static NDArray padChannels(NDArray a, int axis, long size, NDManager scope) {
        long have = a.getShape().get(axis);
        if (have == size) {
            return a;
        }
        long[] extra = a.getShape().getShape().clone(); // getShape() hands out the Shape's own array
        extra[axis] = size - have;
        NDArray padded = a.concat(scope.zeros(new Shape(extra), a.getDataType()), axis);
        padded.attach(scope);
        return padded;
    }

    /** The engine's convolution as it is, without the output-channel guard of {@link #conv2d}. */
    static NDArray rawConv2d(NDArray x, NDArray w, NDArray b, int stride, int padding, int dilation, int groups) {
        return ai.djl.nn.convolutional.Conv2d.conv2d(x, w, b,
                new Shape(stride, stride), new Shape(padding, padding), new Shape(dilation, dilation), groups)
                .singletonOrThrow();
    }

    /** The weight parameter, shape (out, in/groups, k, k). */
    public Parameter weight() {
        return weight;
    }

    /** The bias parameter, or {@code null}. */
    public Parameter bias() {
        return bias;
    }

    /** Number of groups (in and out channels are split into this many independent convolutions). */
    public int groups() {
        return groups;
    }
}
