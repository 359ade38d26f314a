package io.torus.tensor;

/**
 * The dtype of an op's result from the dtypes of its operands: PyTorch's {@code torch.result_type}.
 *
 * <p>Dtypes fall into three categories, {@code bool < integral < floating}. Operands are ranked
 * by priority: arrays with at least one dimension first, then zero-dimensional arrays, then
 * scalars passed as Java numbers ("wrapped numbers" in PyTorch). Operands of the same priority
 * promote along {@link DType#promote}'s lattice (wider wins). An operand of lower priority only
 * matters when its category is higher than everything above it; it then contributes its own
 * dtype if it is a zero-dimensional array, or the default dtype of its category if it is a
 * scalar (INT64 for integers, FLOAT32 for floating point). So a FLOAT32 tensor plus a double
 * stays FLOAT32, an INT64 tensor plus 2.5 is FLOAT32, an INT32 tensor plus a zero-dim INT64
 * tensor stays INT32, and a BOOL tensor plus 1 is INT64.
 *
 * <p>Note [Java scalars]: a Java {@code double} cannot tell {@code 2} from {@code 2.0}, so a
 * scalar operand counts as an integer when its value is finite and integral (and fits a long),
 * and as floating point otherwise: {@code intTensor.mul(2)} stays integral,
 * {@code intTensor.mul(0.5)} becomes FLOAT32.
 *
 * <p>Op-specific rules sit on top of this: comparisons produce BOOL, true division of integers
 * produces FLOAT32 (see {@link NDArray#binary}), and an in-place op needs the result type to be
 * castable to the output's dtype ({@link #canCast}).
 */
public final class TypePromotion {
    private TypePromotion() {
    }

    /** The three categories, in promotion order. */
    public enum Category {
        BOOL, INTEGRAL, FLOATING
    }

    public static Category category(DType dtype) {
        if (dtype == DType.BOOL) {
            return Category.BOOL;
        }
        return dtype.isFloatingPoint() ? Category.FLOATING : Category.INTEGRAL;
    }

    /** The dtype a Java scalar stands for in promotion: INT64 when integral (see the note), else FLOAT32. */
    public static DType scalarType(double value) {
        boolean integral = Double.isFinite(value) && value == Math.rint(value) && Math.abs(value) < 0x1p63;
        return integral ? DType.INT64 : DType.FLOAT32;
    }

    /** The result dtype of a binary op on two arrays. */
    public static DType resultType(NDArray a, NDArray b) {
        boolean zeroA = a.dim() == 0;
        boolean zeroB = b.dim() == 0;
        if (zeroA == zeroB) {
            return DType.promote(a.dtype(), b.dtype());
        }
        return combine(zeroA ? b.dtype() : a.dtype(), zeroA ? a.dtype() : b.dtype());
    }

    /** The result dtype of a binary op on an array and a Java scalar. */
    public static DType resultType(NDArray a, double scalar) {
        return combine(a.dtype(), scalarType(scalar));
    }

    /** {@code lower} (an operand of lower priority) counts only when its category is higher. */
    private static DType combine(DType higher, DType lower) {
        return category(lower).compareTo(category(higher)) > 0 ? DType.promote(higher, lower) : higher;
    }

    /** Whether a result of dtype {@code from} may be written into an array of dtype {@code to}. */
    public static boolean canCast(DType from, DType to) {
        if (from.isFloatingPoint() && !to.isFloatingPoint()) {
            return false;
        }
        return from == DType.BOOL || to != DType.BOOL;
    }
}
