package io.torus.nn;

import io.torus.autograd.Tensor;
import io.torus.tensor.op.Pool2dParams;

/**
 * The mean over square {@code kernel x kernel} windows of NCHW input; the stride defaults to the
 * kernel size, and zero padding counts in the divisor (PyTorch's {@code count_include_pad=True}).
 */
public class AvgPool2d extends Module {
    private final Pool2dParams params;

    public AvgPool2d(int kernel) {
        this(Pool2dParams.of(kernel));
    }

    public AvgPool2d(int kernel, int stride) {
        this(Pool2dParams.of(kernel, stride, 0));
    }

    public AvgPool2d(int kernel, int stride, int padding) {
        this(Pool2dParams.of(kernel, stride, padding));
    }

    /** Any window, stride, padding, ceil mode and {@code countIncludePad}. */
    public AvgPool2d(Pool2dParams params) {
        this.params = params;
    }

    public Pool2dParams params() {
        return params;
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.avgPool2d(params);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + params.kernelH() + ", stride=" + params.strideH() + ", padding=" + params.paddingH();
    }
}
