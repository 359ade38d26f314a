package io.torus.nn;

import io.torus.autograd.Tensor;

/**
 * In training mode zeroes each element with probability {@code p} and scales the rest by
 * {@code 1 / (1 - p)} (inverted dropout, so evaluation needs no rescaling); in evaluation mode
 * returns its input unchanged. See {@link F#dropout}.
 */
public class Dropout extends Module {
    private final double p;

    /** {@code p = 0.5}, as PyTorch. */
    public Dropout() {
        this(0.5);
    }

    public Dropout(double p) {
        checkProbability(p);
        this.p = p;
    }

    static void checkProbability(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        }
    }

    public double p() {
        return p;
    }

    @Override
    public Tensor forward(Tensor x) {
        return F.dropout(x, p, isTraining());
    }

    @Override
    protected String extraRepr() {
        return "p=" + p;
    }
}
