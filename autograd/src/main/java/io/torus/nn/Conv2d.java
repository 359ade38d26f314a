package io.torus.nn;

import io.torus.autograd.Tensor;
import io.torus.tensor.op.Conv2dParams;

/**
 * 2-D convolution over NCHW input (or an unbatched CHW sample) with a square kernel: weight
 * {@code [out, in, k, k]} and bias {@code [out]}, initialised as PyTorch's: Kaiming-uniform with
 * {@code a = √5} for the weight (bound {@code 1 / sqrt(in * k * k)}) and the same bound for the bias.
 */
public class Conv2d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final Conv2dParams params;
    private final Parameter weight;
    private final Parameter bias;

    /** Stride 1, no padding, with bias. */
    public Conv2d(int inChannels, int outChannels, int kernel) {
        this(inChannels, outChannels, kernel, Conv2dParams.defaults(), true);
    }

    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding) {
        this(inChannels, outChannels, kernel, Conv2dParams.of(stride, padding), true);
    }

    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, boolean bias) {
        this(inChannels, outChannels, kernel, Conv2dParams.of(stride, padding), bias);
    }

    /** Any stride, padding and dilation per spatial dim ({@code Conv2dParams}). */
    public Conv2d(int inChannels, int outChannels, int kernel, Conv2dParams params, boolean bias) {
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0) {
            throw new IllegalArgumentException("Conv2d(" + inChannels + ", " + outChannels + ", kernel " + kernel
                    + "): channel counts and kernel size must be positive");
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.params = params;
        this.weight = registerParameter("weight", new Parameter(Tensor.zeros(outChannels, inChannels, kernel, kernel)));
        this.bias = bias ? registerParameter("bias", new Parameter(Tensor.zeros(outChannels))) : null;
        resetParameters();
    }

    /** Re-draws the weight and bias as the constructor does. */
    public void resetParameters() {
        Init.layerDefaults_(weight, bias);
    }

    public Parameter weight() {
        return weight;
    }

    /** Null when built without bias. */
    public Parameter bias() {
        return bias;
    }

    public Conv2dParams params() {
        return params;
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.conv2d(weight, bias, params);
    }

    @Override
    protected String extraRepr() {
        return inChannels + ", " + outChannels + ", kernel_size=(" + kernel + ", " + kernel + "), stride=(" + params.strideH()
                + ", " + params.strideW() + ")"
                + (params.paddingH() != 0 || params.paddingW() != 0 ? ", padding=(" + params.paddingH() + ", "
                + params.paddingW() + ")" : "")
                + (params.dilationH() != 1 || params.dilationW() != 1 ? ", dilation=(" + params.dilationH() + ", "
                + params.dilationW() + ")" : "")
                + (bias == null ? ", bias=False" : "");
    }
}
