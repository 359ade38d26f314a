package io.torus.nn;

import io.torus.autograd.Tensor;

/** The absolute error {@code |input - target|}; target must have the input's shape. See {@link F#l1Loss}. */
public class L1Loss extends Loss {
    public L1Loss() {
        this(Reduction.MEAN);
    }

    public L1Loss(Reduction reduction) {
        super(reduction);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.l1Loss(input, target, reduction());
    }
}
