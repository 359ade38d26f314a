package io.torus.nn;

import io.torus.autograd.Tensor;

/**
 * Log-softmax over the classes (dim 1, or dim 0 of an unbatched {@code [C]} input) followed by the
 * negative log-likelihood of INT64 class targets; a floating-point target of the input's shape is
 * read as class probabilities instead, as in PyTorch. See
 * {@link F#crossEntropy(Tensor, Tensor, Tensor, long, Reduction)}.
 */
public class CrossEntropyLoss extends WeightedClassLoss {

    public CrossEntropyLoss() {
        this(null, F.DEFAULT_IGNORE_INDEX, Reduction.MEAN);
    }

    public CrossEntropyLoss(Reduction reduction) {
        this(null, F.DEFAULT_IGNORE_INDEX, reduction);
    }

    /** {@code weight} (may be null) is a floating-point {@code [C]} of class weights; targets equal to {@code ignoreIndex} are skipped. */
    public CrossEntropyLoss(Tensor weight, long ignoreIndex, Reduction reduction) {
        super(weight, ignoreIndex, reduction);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.crossEntropy(input, target, weight(), ignoreIndex(), reduction());
    }
}
