package io.torus.nn;

import io.torus.autograd.Tensor;
import io.torus.tensor.op.Pool2dParams;

/** The maximum over square {@code kernel x kernel} windows of NCHW input; the stride defaults to the kernel size. */
public class MaxPool2d extends Module {
    private final Pool2dParams params;

    public MaxPool2d(int kernel) {
        this(Pool2dParams.of(kernel));
    }

    public MaxPool2d(int kernel, int stride) {
        this(Pool2dParams.of(kernel, stride, 0));
    }

    public MaxPool2d(int kernel, int stride, int padding) {
        this(Pool2dParams.of(kernel, stride, padding));
    }

    /** Any window, stride, padding, dilation and ceil mode. */
    public MaxPool2d(Pool2dParams params) {
        this.params = params;
    }

    public Pool2dParams params() {
        return params;
    }

    @Override
    public Tensor forward(Tensor x) {
        return x.maxPool2d(params);
    }

    @Override
    protected String extraRepr() {
        return "kernel_size=" + params.kernelH() + ", stride=" + params.strideH() + ", padding=" + params.paddingH()
                + ", dilation=" + params.dilationH() + ", ceil_mode=" + pyBool(params.ceilMode());
    }
}
