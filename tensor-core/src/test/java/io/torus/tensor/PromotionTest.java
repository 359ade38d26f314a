package io.torus.tensor;

import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.UnaryOp;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PyTorch's torch.result_type rules, operand by operand, with the values they produce. */
class PromotionTest {

    private static NDArray ints(int... v) {
        return NDArray.of(v, v.length);
    }

    private static NDArray longs(long... v) {
        return NDArray.of(v, v.length);
    }

    private static NDArray bools(boolean... v) {
        return NDArray.of(v, v.length);
    }

    private static NDArray floats(float... v) {
        return NDArray.of(v, v.length);
    }

    private static NDArray doubles(double... v) {
        return NDArray.of(v, v.length);
    }

    @Test
    void resultType_betweenDimensionedArraysTheWiderDtypeWins() {
        assertEquals(DType.INT64, TypePromotion.resultType(ints(1), longs(1)));
        assertEquals(DType.FLOAT64, TypePromotion.resultType(floats(1), doubles(1)));
        assertEquals(DType.INT32, TypePromotion.resultType(bools(true), ints(1)));
        assertEquals(DType.FLOAT32, TypePromotion.resultType(longs(1), floats(1)));
        assertEquals(DType.FLOAT64, ints(1, 2).add(doubles(0.5, 0.5)).dtype());
    }

    @Test
    void resultType_zeroDimArrayPromotesOnlyAcrossCategories() {
        NDArray int64Scalar = NDArray.scalar(5, DType.INT64);
        NDArray sum = ints(1, 2, 3).add(int64Scalar);
        assertEquals(DType.INT32, sum.dtype());
        assertArrayEquals(new long[] {6, 7, 8}, sum.toLongArray());
        assertEquals(DType.FLOAT32, floats(1).add(NDArray.scalar(0.5, DType.FLOAT64)).dtype());
        assertEquals(DType.FLOAT64, ints(1).add(NDArray.scalar(0.5, DType.FLOAT64)).dtype(), "integral -> floating");
        assertEquals(DType.INT32, bools(true).add(NDArray.scalar(2, DType.INT32)).dtype(), "bool -> integral");
        assertEquals(DType.INT64, NDArray.scalar(1, DType.INT32).add(int64Scalar).dtype(), "two 0-d arrays: wider wins");
        assertEquals(DType.INT64, NDArray.scalar(1, DType.INT32).add(longs(1, 2)).dtype(), "0-d first operand");
    }

    @Test
    void scalar_floatArrayPlusDoubleKeepsItsDtype() {
        NDArray f = floats(1, 2).binary(BinaryOp.ADD, 0.25);
        assertEquals(DType.FLOAT32, f.dtype());
        assertArrayEquals(new float[] {1.25f, 2.25f}, f.toFloatArray());
        assertEquals(DType.FLOAT64, doubles(1).binary(BinaryOp.MUL, 1e-300).dtype());
    }

    @Test
    void scalar_integerArrayWithFractionGivesDefaultFloat() {
        NDArray r = longs(1, 2).binary(BinaryOp.ADD, 2.5);
        assertEquals(DType.FLOAT32, r.dtype());
        assertArrayEquals(new float[] {3.5f, 4.5f}, r.toFloatArray());
        assertEquals(DType.FLOAT32, ints(1).binary(BinaryOp.MUL, Double.POSITIVE_INFINITY).dtype(), "infinity is floating");
        assertEquals(DType.FLOAT32, ints(1).binary(BinaryOp.ADD, Double.NaN).dtype());
    }

    @Test
    void scalar_integralValueKeepsIntegerDtype() {
        NDArray r = ints(1, 2).binary(BinaryOp.MUL, 3);
        assertEquals(DType.INT32, r.dtype());
        assertArrayEquals(new long[] {3, 6}, r.toLongArray());
        assertEquals(DType.INT64, longs(1).binary(BinaryOp.SUB, -7).dtype());
        assertEquals(DType.FLOAT32, longs(1).binary(BinaryOp.ADD, 1e30).dtype(), "beyond a long counts as floating");
    }

    @Test
    void scalar_boolArrayPlusIntegerGivesInt64() {
        NDArray r = bools(true, false).binary(BinaryOp.ADD, 1);
        assertEquals(DType.INT64, r.dtype());
        assertArrayEquals(new long[] {2, 1}, r.toLongArray());
        assertEquals(DType.FLOAT32, bools(true).binary(BinaryOp.MUL, 0.5).dtype());
        assertEquals(DType.BOOL, bools(true).add(bools(false)).dtype());
    }

    @Test
    void comparisons_giveBoolComputedInThePromotedDtype() {
        NDArray r = longs(2, 3).binary(BinaryOp.GT, 2.5);
        assertEquals(DType.BOOL, r.dtype());
        assertArrayEquals(new long[] {0, 1}, r.toLongArray());
        NDArray e = ints(1, 2).binary(BinaryOp.EQ, doubles(1.0, 2.5));
        assertEquals(DType.BOOL, e.dtype());
        assertArrayEquals(new long[] {1, 0}, e.toLongArray());
    }

    @Test
    void division_ofIntegersIsTrueDivisionInFloat32() {
        NDArray q = longs(1, 3, -3).div(longs(2, 2, 2));
        assertEquals(DType.FLOAT32, q.dtype());
        assertArrayEquals(new float[] {0.5f, 1.5f, -1.5f}, q.toFloatArray());
        assertEquals(DType.FLOAT32, ints(7).binary(BinaryOp.DIV, 2).dtype());
        assertEquals(DType.FLOAT64, ints(7).div(doubles(2)).dtype());
    }

    @Test
    void inPlace_floatingResultIntoIntegerArrayThrows() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> longs(1, 2).binary_(BinaryOp.ADD, 2.5));
        assertEquals("add_: result type FLOAT32 can't be cast to the desired output type INT64 (shape [2])", e.getMessage());
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> ints(4).binary_(BinaryOp.DIV, 2));
        assertTrue(d.getMessage().startsWith("div_: result type FLOAT32"), d.getMessage());
    }

    @Test
    void inPlace_widerOperandIsComputedWideThenNarrowed() {
        NDArray a = floats(1, 2);
        a.binary_(BinaryOp.ADD, doubles(0.5, 0.25));
        assertEquals(DType.FLOAT32, a.dtype());
        assertArrayEquals(new float[] {1.5f, 2.25f}, a.toFloatArray());
        NDArray i = ints(1, 2);
        i.binary_(BinaryOp.MUL, longs(3, 4));
        assertArrayEquals(new long[] {3, 8}, i.toLongArray());
    }

    @Test
    void inPlace_operandMustBroadcastToTheOutputShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> floats(1, 2, 3).binary_(BinaryOp.ADD, NDArray.zeros(DType.FLOAT32, 2, 3)));
        assertEquals("add_: output with shape [3] doesn't match the broadcast shape [2, 3]", e.getMessage());
    }

    @Test
    void sub_ofTwoBoolArraysThrows() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bools(true).sub(bools(false)));
        assertTrue(e.getMessage().contains("sub") && e.getMessage().contains("BOOL"), e.getMessage());
    }

    @Test
    void pow_integersStayIntegralAndRejectNegativeExponents() {
        NDArray p = longs(2, 3).binary(BinaryOp.POW, 2);
        assertEquals(DType.INT64, p.dtype());
        assertArrayEquals(new long[] {4, 9}, p.toLongArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> longs(2).binary(BinaryOp.POW, longs(-1)));
        assertTrue(e.getMessage().contains("negative integer powers") && e.getMessage().contains("-1"), e.getMessage());
        NDArray root = longs(4).binary(BinaryOp.POW, -0.5); // a fractional exponent promotes to FLOAT32 first
        assertEquals(DType.FLOAT32, root.dtype());
        assertArrayEquals(new float[] {0.5f}, root.toFloatArray());
    }

    @Test
    void unary_integerInputsGiveFloat32AndBoolNegationThrows() {
        NDArray e = longs(0, 1).unary(UnaryOp.EXP);
        assertEquals(DType.FLOAT32, e.dtype());
        assertArrayEquals(new float[] {1, (float) Math.E}, e.toFloatArray(), 1e-6f);
        assertEquals(DType.INT64, longs(-3).unary(UnaryOp.ABS).dtype());
        IllegalArgumentException n = assertThrows(IllegalArgumentException.class, () -> bools(true).unary(UnaryOp.NEG));
        assertEquals("neg: negation of a BOOL tensor [1] is not supported", n.getMessage());
    }

    @Test
    void where_valuesPromoteLikeABinaryOp() {
        NDArray w = NDArray.where(bools(true, false), longs(1, 2), floats(0.5f, 0.5f));
        assertEquals(DType.FLOAT32, w.dtype());
        assertArrayEquals(new float[] {1, 0.5f}, w.toFloatArray());
        NDArray a = longs(1, 2);
        assertEquals(DType.INT64, NDArray.where(bools(false, true), a, a.scalarLike(7)).dtype());
        assertEquals(DType.FLOAT32, NDArray.where(bools(false, true), a, a.scalarLike(0.5)).dtype());
    }

    @Test
    void canCast_followsCategories() {
        assertTrue(TypePromotion.canCast(DType.INT64, DType.INT32));
        assertTrue(TypePromotion.canCast(DType.FLOAT64, DType.FLOAT32));
        assertTrue(TypePromotion.canCast(DType.BOOL, DType.INT64));
        assertTrue(TypePromotion.canCast(DType.INT64, DType.FLOAT32));
        assertFalse(TypePromotion.canCast(DType.FLOAT32, DType.INT64));
        assertFalse(TypePromotion.canCast(DType.INT32, DType.BOOL));
    }
}
