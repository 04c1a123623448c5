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
     * <p>Every convolution of the project goes through here, because of a libtorch 2.7.1 defect: on
     * some CPUs (measured on AMD Zen 5 with AVX-512) oneDNN's input gradient of a convolution is
     * wrong, or NaN, when the number of output channels is not a multiple of 16 (relative error 0.3
     * to 0.7 at 64→4 and 512→8; forward and weight gradient are right). The UNet's {@code conv_out}
     * (→ 4 channels) sits above every other layer, so that one gradient corrupts all of them. When
     * a graph is being recorded (inside a gradient collector), the weight and bias are
     * zero-padded to the next multiple of 16 output channels and the output is sliced back: the
     * kernel that handles those shapes is right, and it is no slower (docs/engine.md has the
     * measurements). The padded channels are zero and never reach the result, so forward values and
     * every gradient are those of the unpadded convolution.
     */
    public static NDArray conv2d(NDArray x, NDArray w, NDArray b, int stride, int padding, int dilation, int groups) {
        long out = w.getShape().get(0);
        if (groups != 1 || out % CHANNEL_BLOCK == 0 || !JniUtils.isGradMode()) {
            return rawConv2d(x, w, b, stride, padding, dilation, groups);
        }
        long padded = (out + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK * CHANNEL_BLOCK;
        Shape extra = new Shape(padded - out, w.getShape().get(1), w.getShape().get(2), w.getShape().get(3));
        // The padded copies are temporaries of this call: they go to the input's manager (freed with
        // the step), not to the weight's, which lives as long as the model.
        NDManager scope = x.getManager();
        NDArray wPadded = w.concat(scope.zeros(extra, w.getDataType()), 0);
        wPadded.attach(scope);
        NDArray bPadded = null;
        if (b != null) {
            bPadded = b.concat(scope.zeros(new Shape(padded - out), b.getDataType()));
            bPadded.attach(scope);
        }
        return rawConv2d(x, wPadded, bPadded, stride, padding, dilation, groups).get(":, :" + out);
    }

    /** Output channels per oneDNN block; counts that are multiples of it get a correct input gradient. */
    static final int CHANNEL_BLOCK = 16;

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
