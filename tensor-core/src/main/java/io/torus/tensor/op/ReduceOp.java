package io.torus.tensor.op;

/** Reductions over one or more dims (mean is derived: sum / n). */
public enum ReduceOp {
    SUM, MAX, MIN;

    public double identity() {
        return switch (this) {
            case SUM -> 0;
            case MAX -> Double.NEGATIVE_INFINITY;
            case MIN -> Double.POSITIVE_INFINITY;
        };
    }

    public double combine(double acc, double x) {
        return switch (this) {
            case SUM -> acc + x;
            case MAX -> (x > acc || Double.isNaN(x)) ? x : acc;
            case MIN -> (x < acc || Double.isNaN(x)) ? x : acc;
        };
    }
}
