package io.torus.nn;

import io.torus.autograd.Tensor;

/** {@code 1 / (1 + exp(-x))}, elementwise. */
public class Sigmoid extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return x.sigmoid();
    }
}
