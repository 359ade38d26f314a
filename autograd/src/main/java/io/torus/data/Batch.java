package io.torus.data;

import io.torus.autograd.Tensor;

/** A mini-batch: inputs and targets stacked along a new first dim. */
public record Batch(Tensor input, Tensor target) {
    public int size() {
        return input.shape()[0];
    }
}
