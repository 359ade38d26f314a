package io.torus.nn;

import io.torus.autograd.Tensor;

/**
 * A sigmoid and the binary cross-entropy in one numerically stable step, as PyTorch's: no logit
 * overflows, and the gradient is {@code sigmoid(x) - t} (with weights, see
 * {@link F#binaryCrossEntropyWithLogits}).
 */
public class BCEWithLogitsLoss extends Loss {
    private final Tensor weight;
    private final Tensor posWeight;

    public BCEWithLogitsLoss() {
        this(null, null, Reduction.MEAN);
    }

    public BCEWithLogitsLoss(Reduction reduction) {
        this(null, null, reduction);
    }

    /**
     * {@code weight} (may be null) rescales each element's loss and broadcasts to the input's shape;
     * {@code posWeight} (may be null) weighs the positive examples of each class (the last dim), e.g.
     * {@code negatives / positives} to balance a rare class.
     */
    public BCEWithLogitsLoss(Tensor weight, Tensor posWeight, Reduction reduction) {
        super(reduction);
        this.weight = weight;
        this.posWeight = posWeight;
    }

    public Tensor weight() {
        return weight;
    }

    public Tensor posWeight() {
        return posWeight;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        return F.binaryCrossEntropyWithLogits(input, target, weight, posWeight, reduction());
    }
}
