package io.torus.nn;

import io.torus.autograd.Tensor;

/** {@code log(softmax(x))} along {@code dim}, computed stably; the input {@link NLLLoss} expects. */
public class LogSoftmax extends Module {
    private final int dim;

    public LogSoftmax(int dim) {
        this.dim = dim;
    }

    public int dim() {
        return dim;
    }

    @Override
    public Tensor forward(Tensor x) {
        return F.logSoftmax(x, dim);
    }

    @Override
    protected String extraRepr() {
        return "dim=" + dim;
    }
}
