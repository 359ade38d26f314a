package io.torus.nn;

import io.torus.autograd.Tensor;

/**
 * The negative log-likelihood of INT64 class targets, given log-probabilities (a
 * {@link LogSoftmax}'s output): input {@code [N, C]} with target {@code [N]}, {@code [C]} with a
 * 0-dim target, or {@code [N, C, d1, ...]} with target {@code [N, d1, ...]}. Targets equal to the
 * ignore index (default {@link F#DEFAULT_IGNORE_INDEX}, -100) are skipped. See
 * {@link F#nllLoss(Tensor, Tensor, Tensor, long, Reduction)}.
 */
public class NLLLoss extends WeightedClassLoss {

    public NLLLoss() {
        this(null, F.DEFAULT_IGNORE_INDEX, Reduction.MEAN);
    }

    public NLLLoss(Reduction reduction) {
        this(null, F.DEFAULT_IGNORE_INDEX, reduction);
    }

    /** {@code weight} (may be null) is a floating-point {@code [C]} of class weights; MEAN divides by the targets' summed weights. */
    public NLLLoss(Tensor weight, long ignoreIndex, Reduction reduction) {
        super(weight, ignoreIndex, reduction);
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.nllLoss(input, target, weight(), ignoreIndex(), reduction());
    }
}
