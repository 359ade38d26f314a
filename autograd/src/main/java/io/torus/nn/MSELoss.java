package io.torus.nn;

import io.torus.autograd.Tensor;

/** The squared error {@code (input - target)²}; target must have the input's shape. See {@link F#mseLoss}. */
public class MSELoss extends Loss {
    public MSELoss() {
        this(Reduction.MEAN);
    }

    public MSELoss(Reduction reduction) {
        super(reduction);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.mseLoss(input, target, reduction());
    }
}
