package io.torus.nn;

import io.torus.autograd.Tensor;
import io.torus.tensor.NDArray;

/** A leaf tensor that a {@link Module} owns and an optimiser updates; requires grad by default. */
public class Parameter extends Tensor {
    public Parameter(Tensor data) {
        this(data, true);
    }

    public Parameter(Tensor data, boolean requiresGrad) {
        super(data.data(), false);
        requiresGrad_(requiresGrad);
    }

    public static Parameter of(NDArray data) {
        return new Parameter(Tensor.wrap(data));
    }
}
