package io.torus.nn;

import io.torus.autograd.Tensor;

/** {@code exp(x) / sum(exp(x))} along {@code dim}, so that each slice along it sums to 1. */
public class Softmax extends Module {
    private final int dim;

    public Softmax(int dim) {
        this.dim = dim;
    }

    public int dim() {
        return dim;
    }

    @Override
    public Tensor forward(Tensor x) {
        return F.softmax(x, dim);
    }

    @Override
    protected String extraRepr() {
        return "dim=" + dim;
    }
}
