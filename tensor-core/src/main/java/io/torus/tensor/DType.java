package io.torus.tensor;

/** Element types. Promotion follows PyTorch: bool < integers < floating point, wider wins. */
public enum DType {
    BOOL(1, false), INT32(4, false), INT64(8, false), FLOAT32(4, true), FLOAT64(8, true);

    private final int byteSize;
    private final boolean floatingPoint;

    DType(int byteSize, boolean floatingPoint) {
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /** The dtype of a binary op's result on operands of {@code a} and {@code b}. */
    public static DType promote(DType a, DType b) {
        if (a == b) {
            return a;
        }
        if (a.floatingPoint != b.floatingPoint) {
            return a.floatingPoint ? a : b;
        }
        return a.ordinal() > b.ordinal() ? a : b;
    }
}
