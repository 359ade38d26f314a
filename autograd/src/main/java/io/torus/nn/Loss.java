package io.torus.nn;

import io.torus.autograd.Tensor;

import java.util.Objects;

/**
 * The base of the loss functions, as PyTorch's {@code _Loss}: a loss is configured once (its
 * {@link Reduction} and any class weights) and then called as {@code loss.forward(input, target)},
 * returning a 0-dim tensor ({@code MEAN}, the default, or {@code SUM}) or the unreduced losses
 * ({@code NONE}). Losses hold no parameters, so unlike PyTorch's they are not {@link Module}s.
 */
public abstract class Loss {
    private final Reduction reduction;

    protected Loss(Reduction reduction) {
        this.reduction = Objects.requireNonNull(reduction, () -> getClass().getSimpleName() + ": reduction must not be null");
    }

    public Reduction reduction() {
        return reduction;
    }

    /** The loss of {@code input} against {@code target}, reduced by {@link #reduction()}. */
    public abstract Tensor forward(Tensor input, Tensor target);

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(reduction=" + reduction + ")";
    }
}
