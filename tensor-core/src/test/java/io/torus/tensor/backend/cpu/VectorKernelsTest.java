package io.torus.tensor.backend.cpu;

import io.torus.tensor.op.ReduceOp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The Vector API loops compute exactly what their scalar twins define (Note [Deterministic sums]). */
class VectorKernelsTest {
    private static final int[] LENGTHS = {0, 1, 5, 31, 32, 33, 100, 8191, 8192, 8193, 20_000, 65_536};

    @BeforeEach
    void needsVectorApi() {
        assumeTrue(VectorApi.ENABLED, "Vector API not enabled in this JVM");
    }

    @Test
    void vectorApi_enabledWhenTheModuleIsPresent() {
        assertEquals(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
                && !Boolean.getBoolean("torus.vector.disable"), VectorApi.ENABLED);
    }

    @Test
    void addInto_bitForBitTheScalarLoopAtOffsetsAndTails() {
        Random r = new Random(9);
        for (int n : LENGTHS) {
            float[] x = new float[n + 5];
            float[] y = new float[n + 4];
            for (int i = 0; i < x.length; i++) {
                x[i] = i % 11 == 0 ? Float.NaN : (float) r.nextGaussian();
            }
            for (int i = 0; i < y.length; i++) {
                y[i] = (float) r.nextGaussian();
            }
            float[] expected = y.clone();
            for (int i = 0; i < n; i++) {
                expected[3 + i] += x[5 + i];
            }
            float[] got = y.clone();
            VectorKernels.addInto(n, x, 5, got, 3);
            for (int i = 0; i < y.length; i++) {
                assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(got[i]), "n=" + n + " i=" + i);
            }
        }
    }

    @Test
    void arithmeticAndAxpby_bitForBitTheScalarLoopsAlsoInPlace() {
        Random r = new Random(5);
        float[] special = {0, -0f, 1, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, 3e38f};
        for (int n : LENGTHS) {
            float[] x = new float[n + 3];
            float[] y = new float[n + 3];
            for (int i = 0; i < x.length; i++) {
                x[i] = i % 7 == 0 ? special[r.nextInt(special.length)] : (float) r.nextGaussian();
                y[i] = i % 5 == 0 ? special[r.nextInt(special.length)] : (float) r.nextGaussian();
            }
            for (io.torus.tensor.op.BinaryOp op : new io.torus.tensor.op.BinaryOp[] {io.torus.tensor.op.BinaryOp.ADD,
                    io.torus.tensor.op.BinaryOp.SUB, io.torus.tensor.op.BinaryOp.MUL, io.torus.tensor.op.BinaryOp.DIV}) {
                float[] vec = new float[n + 2];
                VectorKernels.arithmetic(op, n, x, 1, y, 3, vec, 2);
                float[] sc = new float[n + 2];
                VectorKernels.arithmeticScalar(op, n, x, 1, 0.37f, sc, 2);
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToIntBits(op.apply(x[1 + i], y[3 + i])), Float.floatToIntBits(vec[2 + i]),
                            op + " n=" + n + " i=" + i);
                    assertEquals(Float.floatToIntBits(op.apply(x[1 + i], 0.37f)), Float.floatToIntBits(sc[2 + i]),
                            op + " scalar n=" + n + " i=" + i);
                }
            }
            float[] inPlace = x.clone();
            VectorKernels.axpby(n, 0.9f, inPlace, 1, -0.01f, y, 2, inPlace, 1);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToIntBits(0.9f * x[1 + i] + -0.01f * y[2 + i]), Float.floatToIntBits(inPlace[1 + i]),
                        "axpby n=" + n + " i=" + i);
            }
            double[] dx = new double[n];
            double[] dy = new double[n];
            for (int i = 0; i < n; i++) {
                dx[i] = x[i];
                dy[i] = r.nextGaussian();
            }
            double[] dz = new double[n];
            VectorKernels.axpby(n, 0.9, dx, 0, -0.01, dy, 0, dz, 0);
            for (int i = 0; i < n; i++) {
                assertEquals(Double.doubleToLongBits(0.9 * dx[i] + -0.01 * dy[i]), Double.doubleToLongBits(dz[i]),
                        "double axpby n=" + n + " i=" + i);
            }
        }
    }

    @Test
    void maxPool2x2_picksTheSameTapAsTheScalarScan() {
        assumeTrue(VectorKernels.gathers(), "no 8-lane float vectors");
        Random r = new Random(8);
        float[] pool = {0, 0, 0, 1, -1, 2, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f};
        // {h, w, stride}: tails of every length 0..7, overlapping windows (stride 1)
        for (int[] s : new int[][] {{24, 24, 2}, {8, 8, 2}, {6, 10, 2}, {4, 4, 1}, {5, 7, 1}, {2, 2, 2}}) {
            int h = s[0];
            int w = s[1];
            int stride = s[2];
            int oh = (h - 2) / stride + 1;
            int ow = (w - 2) / stride + 1;
            int[] at = new int[oh * ow];
            for (int o = 0; o < at.length; o++) {
                at[o] = (o / ow) * stride * w + (o % ow) * stride;
            }
            for (int trial = 0; trial < 20; trial++) {
                int xb = trial % 3;
                float[] x = new float[xb + h * w];
                for (int i = 0; i < x.length; i++) {
                    x[i] = trial < 10 ? pool[r.nextInt(pool.length)] : (float) r.nextGaussian();
                }
                float[] out = new float[at.length + 1];
                long[] idx = new long[at.length + 1];
                VectorKernels.maxPool2x2(x, xb, at, at.length, w, out, 1, idx, 1);
                for (int o = 0; o < at.length; o++) {
                    int best = CpuPooling.argMax2x2(x, xb + at[o], w);
                    String where = h + "x" + w + "/" + stride + " trial " + trial + " window " + o;
                    assertEquals(best - xb, idx[1 + o], where);
                    assertEquals(Float.floatToRawIntBits(x[best]), Float.floatToRawIntBits(out[1 + o]), where);
                }
            }
        }
    }

    @Test
    void sum_floatSameBitsAsScalarDefinition() {
        Random r = new Random(5);
        for (int n : LENGTHS) {
            float[] x = new float[n + 3];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(6) - 3));
            }
            for (int off : new int[] {0, 3}) {
                int len = Math.min(n, x.length - off);
                assertEquals(FloatKernels.sumScalar(x, off, len), VectorKernels.sum(x, off, len), 0.0, "n=" + len + " off=" + off);
            }
        }
    }

    @Test
    void sum_doubleSameBitsAsScalarDefinition() {
        Random r = new Random(6);
        for (int n : LENGTHS) {
            double[] x = new double[n + 1];
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextGaussian() * Math.pow(10, r.nextInt(12) - 6);
            }
            assertEquals(DoubleKernels.sumScalar(x, 1, n), VectorKernels.sum(x, 1, n), 0.0, "n=" + n);
        }
    }

    @Test
    void extremeAndAccumulate_sameAsScalar() {
        Random r = new Random(7);
        for (int n : LENGTHS) {
            if (n == 0) {
                continue;
            }
            float[] x = new float[n];
            double[] d = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) r.nextGaussian();
                d[i] = r.nextGaussian();
            }
            for (ReduceOp op : ReduceOp.values()) {
                if (op != ReduceOp.SUM) {
                    assertEquals(FloatKernels.extremeScalar(op, x, 0, n), VectorKernels.extreme(op, x, 0, n), 0f, op + " n=" + n);
                    assertEquals(DoubleKernels.extremeScalar(op, d, 0, n), VectorKernels.extreme(op, d, 0, n), 0.0, op + " n=" + n);
                }
                float[] a1 = new float[n];
                float[] a2 = new float[n];
                FloatKernels.accumulateScalar(op, n, x, 0, a1, 0);
                VectorKernels.accumulate(op, n, x, 0, a2, 0);
                org.junit.jupiter.api.Assertions.assertArrayEquals(a1, a2, 0f, op + " accumulate n=" + n);
            }
        }
    }
}
