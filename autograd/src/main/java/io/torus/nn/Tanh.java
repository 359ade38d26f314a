package io.torus.nn;

import io.torus.autograd.Tensor;

/** The hyperbolic tangent, elementwise. */
public class Tanh extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return x.tanh();
    }
}
