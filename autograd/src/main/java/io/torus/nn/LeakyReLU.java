package io.torus.nn;

import io.torus.autograd.Tensor;

/** {@code x} where {@code x > 0}, else {@code negativeSlope * x} (default slope 0.01, as PyTorch). */
public class LeakyReLU extends Module {
    /** PyTorch's default negative slope, also {@code leaky_relu}'s default in {@link Init#calculateGain(String)}. */
    public static final double DEFAULT_NEGATIVE_SLOPE = 0.01;

    private final double negativeSlope;

    public LeakyReLU() {
        this(DEFAULT_NEGATIVE_SLOPE);
    }

    public LeakyReLU(double negativeSlope) {
        if (!Double.isFinite(negativeSlope)) {
            throw new IllegalArgumentException("LeakyReLU: negative slope must be a finite number, got " + negativeSlope);
        }
        this.negativeSlope = negativeSlope;
    }

    public double negativeSlope() {
        return negativeSlope;
    }

    @Override
    public Tensor forward(Tensor x) {
        return F.leakyRelu(x, negativeSlope);
    }

    @Override
    protected String extraRepr() {
        return "negative_slope=" + negativeSlope;
    }
}
