package io.torus.nn;

import io.torus.autograd.Tensor;

/**
 * The losses over class targets that take optional per-class weights and an ignored target
 * value ({@link NLLLoss}, {@link CrossEntropyLoss}), as PyTorch's {@code _WeightedLoss}.
 */
public abstract class WeightedClassLoss extends Loss {
    private final Tensor weight;
    private final long ignoreIndex;

    /** {@code weight} (may be null) is a floating-point {@code [C]} of class weights; targets equal to {@code ignoreIndex} are skipped. */
    protected WeightedClassLoss(Tensor weight, long ignoreIndex, Reduction reduction) {
        super(reduction);
        this.weight = weight;
        this.ignoreIndex = ignoreIndex;
    }

    public Tensor weight() {
        return weight;
    }

    public long ignoreIndex() {
        return ignoreIndex;
    }
}
