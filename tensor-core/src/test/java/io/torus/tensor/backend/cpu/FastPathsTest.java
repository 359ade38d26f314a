package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.ReduceOp;
import io.torus.tensor.op.UnaryOp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each fast path against the generic strided loops on the same inputs ({@link FastPaths#enabled}
 * off), and against a double-precision reference where the two may round differently.
 */
class FastPathsTest {
    private static final Generator GEN = new Generator(7);
    private static final DType[] FLOATS = {DType.FLOAT32, DType.FLOAT64};
    private static final BinaryOp[] BINARY = {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV, BinaryOp.MAX, BinaryOp.MIN};

    @AfterEach
    void restore() {
        FastPaths.enabled = true;
    }

    private static NDArray rand(DType dt, int... shape) {
        return NDArray.uniform(GEN, -2, 2, dt, shape);
    }

    /** The same computation with the fast paths on and off; both results as doubles. */
    private static double[][] bothPaths(Supplier<NDArray> op) {
        FastPaths.enabled = true;
        double[] fast = op.get().toDoubleArray();
        FastPaths.enabled = false;
        double[] generic = op.get().toDoubleArray();
        FastPaths.enabled = true;
        return new double[][] {fast, generic};
    }

    private static void assertSameBits(Supplier<NDArray> op, String what) {
        double[][] r = bothPaths(op);
        assertArrayEquals(r[1], r[0], 0.0, what);
    }

    @Test
    void period_classifiesLayouts() {
        NDArray m = rand(DType.FLOAT32, 4, 6);
        assertEquals(24, FastPaths.period(m));
        assertEquals(6, FastPaths.period(rand(DType.FLOAT32, 6).expand(4, 6)));
        assertEquals(1, FastPaths.period(NDArray.scalar(3, DType.FLOAT32).expand(4, 6)));
        assertEquals(12, FastPaths.period(rand(DType.FLOAT32, 3, 4).expand(5, 3, 4)));
        assertEquals(-1, FastPaths.period(m.transpose(0, 1)));
        assertEquals(-1, FastPaths.period(rand(DType.FLOAT32, 4, 1).expand(4, 6)));
        assertEquals(-1, FastPaths.period(m.narrow(1, 1, 4)));
        assertEquals(12, FastPaths.period(m.narrow(0, 1, 2)));
    }

    @Test
    void binary_contiguousOddLengthsMatchGenericPath() {
        for (DType dt : FLOATS) {
            for (int n : new int[] {1, 3, 17, 1000, 4099}) {
                NDArray a = rand(dt, n);
                NDArray b = rand(dt, n);
                for (BinaryOp op : BINARY) {
                    assertSameBits(() -> a.binary(op, b), dt + " " + op + " n=" + n);
                }
            }
        }
    }

    @Test
    void binary_biasRowScalarAndBatchBroadcasts() {
        for (DType dt : FLOATS) {
            NDArray x = rand(dt, 5, 37);
            NDArray row = rand(dt, 37);
            NDArray x3 = rand(dt, 3, 4, 9);
            NDArray plane = rand(dt, 4, 9);
            for (BinaryOp op : BINARY) {
                assertSameBits(() -> x.binary(op, row), dt + " " + op + " [5,37] op [37]");
                assertSameBits(() -> row.binary(op, x), dt + " " + op + " [37] op [5,37]");
                assertSameBits(() -> x.binary(op, 0.75), dt + " " + op + " tensor op scalar");
                assertSameBits(() -> x.scalarLike(0.75).binary(op, x), dt + " " + op + " scalar op tensor");
                assertSameBits(() -> x3.binary(op, plane), dt + " " + op + " [3,4,9] op [4,9]");
            }
        }
    }

    @Test
    void binary_viewsWithOffsetsColumnBroadcastAndTransposes() {
        for (DType dt : FLOATS) {
            NDArray big = rand(dt, 6, 11);
            NDArray rows = big.narrow(0, 2, 3); // contiguous, nonzero offset
            NDArray cols = big.narrow(1, 1, 7); // padded rows: generic path, unit-stride rows
            NDArray col = rand(dt, 6, 1);       // [6, 1] broadcast along rows: generic path, scalar rows
            NDArray t = rand(dt, 11, 6).transpose(0, 1);
            for (BinaryOp op : BINARY) {
                assertSameBits(() -> rows.binary(op, rows.narrow(1, 0, 11)), dt + " " + op + " offset views");
                assertSameBits(() -> cols.binary(op, cols), dt + " " + op + " padded views");
                assertSameBits(() -> big.binary(op, col), dt + " " + op + " column broadcast");
                assertSameBits(() -> col.binary(op, big), dt + " " + op + " column broadcast, swapped");
                assertSameBits(() -> big.binary(op, t), dt + " " + op + " transposed operand");
            }
        }
    }

    @Test
    void binaryInPlace_withBiasRowAndScalar() {
        for (DType dt : FLOATS) {
            NDArray x = rand(dt, 8, 13);
            NDArray row = rand(dt, 13);
            for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.DIV}) {
                assertSameBits(() -> x.copy().binary_(op, row), dt + " " + op + "_ row");
                assertSameBits(() -> x.copy().binary_(op, 3.0), dt + " " + op + "_ scalar");
                assertSameBits(() -> x.copy().binary_(op, x), dt + " " + op + "_ self");
            }
        }
    }

    @Test
    void unary_exactOpsMatchGenericPathOnContiguousAndStridedInputs() {
        for (DType dt : FLOATS) {
            NDArray x = rand(dt, 7, 19);
            x.setDouble(0, Double.NaN);
            x.setDouble(1, Double.POSITIVE_INFINITY);
            x.setDouble(2, -0.0);
            for (UnaryOp op : new UnaryOp[] {UnaryOp.NEG, UnaryOp.ABS, UnaryOp.RELU, UnaryOp.SQRT, UnaryOp.SIGN}) {
                assertSameBits(() -> x.unary(op), dt + " " + op);
                assertSameBits(() -> x.transpose(0, 1).unary(op), dt + " " + op + " transposed");
                assertSameBits(() -> x.narrow(1, 2, 15).unary(op), dt + " " + op + " padded rows");
            }
        }
    }

    @Test
    void unary_transcendentalsWithinUlpsOfMathOnOddLengths() {
        for (DType dt : FLOATS) {
            for (int n : new int[] {1, 15, 17, 100, 1023}) {
                NDArray x = rand(dt, n).binary(BinaryOp.MUL, 5.0);
                NDArray pos = x.unary(UnaryOp.ABS).binary(BinaryOp.ADD, 1e-3);
                for (UnaryOp op : new UnaryOp[] {UnaryOp.EXP, UnaryOp.LOG, UnaryOp.TANH, UnaryOp.SIGMOID, UnaryOp.SIN, UnaryOp.COS}) {
                    NDArray in = op == UnaryOp.LOG ? pos : x;
                    NDArray strided = NDArray.empty(dt, n, 2).select(1, 0).copy_(in);
                    assertWithinUlps(in, in.unary(op), op, op == UnaryOp.SIGMOID ? 2 : 1);
                    assertWithinUlps(in, strided.unary(op), op, op == UnaryOp.SIGMOID ? 2 : 1);
                }
            }
        }
    }

    @Test
    void unary_specialValues() {
        for (DType dt : FLOATS) {
            double[] v = {0.0, -0.0, 1.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1000, -1000,
                1e-30, 88.5, -104, 20, -20, 0.5, 3};
            NDArray x = NDArray.empty(dt, v.length);
            for (int i = 0; i < v.length; i++) {
                x.setDouble(i, v[i]);
            }
            for (UnaryOp op : new UnaryOp[] {UnaryOp.EXP, UnaryOp.LOG, UnaryOp.TANH, UnaryOp.SIGMOID, UnaryOp.RELU}) {
                NDArray y = x.unary(op);
                for (int i = 0; i < v.length; i++) {
                    double in = x.getDouble(i);
                    double want = dt == DType.FLOAT32 ? (float) op.apply(in) : op.apply(in);
                    double got = y.getDouble(i);
                    boolean ok = Double.isNaN(want) ? Double.isNaN(got)
                            : Double.isInfinite(want) || want == 0 ? got == want : Math.abs(got - want) <= 2 * ulp(dt, want);
                    assertTrue(ok, dt + " " + op + "(" + in + ") = " + got + ", expected " + want);
                }
            }
        }
    }

    /** After enough calls for the JIT to compile the vector loops, they still agree with Math. */
    @Test
    void unary_warmedUpKernelsWithinUlps() {
        NDArray x = rand(DType.FLOAT32, 1000).binary(BinaryOp.MUL, 8.0);
        NDArray out = NDArray.empty(DType.FLOAT32, 1000);
        float[] in = x.storage().floats();
        float[] z = out.storage().floats();
        for (int i = 0; i < 3000; i++) {
            FloatKernels.unary(UnaryOp.EXP, 1000, in, x.offset(), z, out.offset());
            FloatKernels.unary(UnaryOp.TANH, 1000, in, x.offset(), z, out.offset());
            FloatKernels.unary(UnaryOp.SIGMOID, 1000, in, x.offset(), z, out.offset());
        }
        for (UnaryOp op : new UnaryOp[] {UnaryOp.EXP, UnaryOp.TANH, UnaryOp.SIGMOID}) {
            FloatKernels.unary(op, 1000, in, x.offset(), z, out.offset());
            assertWithinUlps(x, out, op, op == UnaryOp.SIGMOID ? 2 : 1);
        }
    }

    private static double ulp(DType dt, double v) {
        return dt == DType.FLOAT32 ? Math.ulp((float) v) : Math.ulp(v);
    }

    private static void assertWithinUlps(NDArray x, NDArray y, UnaryOp op, int ulps) {
        DType dt = x.dtype();
        for (long i = 0; i < x.numel(); i++) {
            double exact = op.apply(x.getDouble(i));
            double want = dt == DType.FLOAT32 ? (float) exact : exact;
            double got = y.getDouble(i);
            if (!(Math.abs(got - exact) <= ulps * ulp(dt, want)) && got != want) {
                throw new AssertionError(dt + " " + op + "(" + x.getDouble(i) + ") = " + got + ", expected " + want
                        + " within " + ulps + " ulp");
            }
        }
    }

    @Test
    void sum_allElementsAtBlockAndChunkBoundaries() {
        for (DType dt : FLOATS) {
            for (int n : new int[] {1, 31, 32, 33, 8191, 8192, 8193, 65536, 65541, 200_003}) {
                NDArray x = rand(dt, n);
                double[] d = x.toDoubleArray();
                double want = 0;
                for (double v : d) {
                    want += v;
                }
                double got = x.sum().item();
                double tol = (dt == DType.FLOAT32 ? 1e-6 : 1e-13) * Math.sqrt(n) * 4;
                assertEquals(want, got, tol + Math.ulp((float) want), dt + " n=" + n);
                double[][] both = bothPaths(x::sum);
                assertEquals(both[1][0], both[0][0], tol + Math.ulp((float) want), dt + " n=" + n + " vs generic");
            }
        }
    }

    @Test
    void sum_lastDimMiddleDimAndLeadingDims() {
        for (DType dt : FLOATS) {
            NDArray x = rand(dt, 6, 45, 7);
            double tol = dt == DType.FLOAT32 ? 1e-5 : 1e-12;
            for (int[] dims : new int[][] {{2}, {1, 2}, {1}, {0}, {0, 1}, {0, 2}}) {
                for (boolean keep : new boolean[] {false, true}) {
                    double[][] r = bothPaths(() -> x.reduce(ReduceOp.SUM, dims, keep));
                    assertArrayEquals(r[1], r[0], tol, dt + " sum over " + Arrays.toString(dims));
                }
            }
            // a bias gradient: the fast path accumulates rows in the output's dtype, as the generic path
            NDArray g = rand(dt, 64, 37);
            assertSameBits(() -> g.reduce(ReduceOp.SUM, new int[] {0}, false), dt + " sum over the batch");
        }
    }

    @Test
    void maxMin_matchGenericPathAndPropagateNaN() {
        for (DType dt : FLOATS) {
            NDArray x = rand(dt, 9, 33);
            for (ReduceOp op : new ReduceOp[] {ReduceOp.MAX, ReduceOp.MIN}) {
                for (int[] dims : new int[][] {{}, {1}, {0}}) {
                    assertSameBits(() -> x.reduce(op, dims, false), dt + " " + op + " " + Arrays.toString(dims));
                }
                NDArray withNaN = x.copy();
                withNaN.setDouble(5 * 33 + 20, Double.NaN);
                for (int[] dims : new int[][] {{}, {1}, {0}}) {
                    assertSameBits(() -> withNaN.reduce(op, dims, false), dt + " " + op + " NaN " + Arrays.toString(dims));
                }
                assertTrue(Double.isNaN(withNaN.reduce(op, new int[0], false).item()));
            }
        }
    }
}
