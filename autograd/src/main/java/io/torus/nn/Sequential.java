package io.torus.nn;

import io.torus.autograd.Tensor;

/** Runs its children in order; they are named "0", "1", ... as in PyTorch. */
public class Sequential extends Module {
    public Sequential(Module... layers) {
        for (int i = 0; i < layers.length; i++) {
            registerModule(Integer.toString(i), layers[i]);
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        for (Module m : children()) {
            x = m.call(x);
        }
        return x;
    }
}
