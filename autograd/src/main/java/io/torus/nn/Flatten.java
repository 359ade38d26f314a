package io.torus.nn;

import io.torus.autograd.Tensor;

/** Flattens every dim but the first (the batch). */
public class Flatten extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return x.flatten(1, -1);
    }
}
