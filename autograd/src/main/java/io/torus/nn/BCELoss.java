package io.torus.nn;

import io.torus.autograd.Tensor;

/**
 * Binary cross-entropy of probabilities: {@code -weight (t log x + (1 - t) log(1 - x))}, each log
 * clamped at -100 as PyTorch does. Inputs must lie in [0, 1] (a sigmoid's output); for logits use
 * {@link BCEWithLogitsLoss}, which is also more stable. See {@link F#binaryCrossEntropy}.
 */
public class BCELoss extends Loss {
    private final Tensor weight;

    public BCELoss() {
        this(null, Reduction.MEAN);
    }

    public BCELoss(Reduction reduction) {
        this(null, reduction);
    }

    /** {@code weight} (may be null) rescales each element's loss and broadcasts to the input's shape. */
    public BCELoss(Tensor weight, Reduction reduction) {
        super(reduction);
        this.weight = weight;
    }

    public Tensor weight() {
        return weight;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.binaryCrossEntropy(input, target, weight, reduction());
    }
}
