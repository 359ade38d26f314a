package io.torus.nn;

import io.torus.autograd.Tensor;

public class ReLU extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return x.relu();
    }
}
