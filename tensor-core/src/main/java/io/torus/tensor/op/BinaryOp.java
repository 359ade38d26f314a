package io.torus.tensor.op;

/**
 * Elementwise functions of two broadcast operands. Comparisons produce BOOL.
 *
 * <p>{@link #RELU_BACKWARD} is relu's backward pass fused into one op, PyTorch's
 * {@code threshold_backward(grad, result, 0)}: {@code a} where {@code b > 0}, else exactly 0 (not
 * {@code a * 0}, so an infinite or NaN gradient does not leak through a closed gate). The composite
 * {@code grad * (result > 0)} builds a BOOL mask and converts it to the gradient's dtype: three
 * passes and two temporaries instead of one pass.
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAX, MIN, RELU_BACKWARD, EQ, NE, LT, LE, GT, GE;

    public boolean isComparison() {
        return ordinal() >= EQ.ordinal();
    }

    public double apply(double a, double b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> Math.pow(a, b);
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case RELU_BACKWARD -> b > 0 ? a : 0;
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
        };
    }

    public float apply(float a, float b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> (float) Math.pow(a, b);
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case RELU_BACKWARD -> b > 0 ? a : 0f;
            default -> (float) apply((double) a, (double) b);
        };
    }

    /** Exact 64-bit integer arithmetic (comparisons give 1 or 0; division truncates toward zero). */
    public long apply(long a, long b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case POW -> (long) Math.pow(a, b);
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case RELU_BACKWARD -> b > 0 ? a : 0;
            case EQ -> a == b ? 1 : 0;
            case NE -> a != b ? 1 : 0;
            case LT -> a < b ? 1 : 0;
            case LE -> a <= b ? 1 : 0;
            case GT -> a > b ? 1 : 0;
            case GE -> a >= b ? 1 : 0;
        };
    }
}
