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
