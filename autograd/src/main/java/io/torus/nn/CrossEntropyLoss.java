package io.torus.nn;

import io.torus.autograd.Tensor;

/** Log-softmax over classes followed by the negative log-likelihood of INT64 class targets. */
public class CrossEntropyLoss {
    private final Reduction reduction;

    public CrossEntropyLoss() {
        this(Reduction.MEAN);
    }

    public CrossEntropyLoss(Reduction reduction) {
        if (reduction == Reduction.NONE) {
            throw new IllegalArgumentException("CrossEntropyLoss: reduction NONE is not supported yet; use MEAN or SUM");
        }
        this.reduction = reduction;
    }

    public Tensor forward(Tensor input, Tensor target) {
        return F.crossEntropy(input, target, reduction);
    }
}
