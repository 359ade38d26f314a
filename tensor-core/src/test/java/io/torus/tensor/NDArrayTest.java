package io.torus.tensor;

import io.torus.tensor.backend.cpu.CpuBackend;
import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.ReduceOp;
import io.torus.tensor.op.UnaryOp;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NDArrayTest {

    private static NDArray seq(int... shape) {
        return NDArray.arange(0, Shape.numel(shape), 1, DType.FLOAT32).view(shape);
    }

    @Test
    void view_sharesStorageAndTransposeIsAView() {
        NDArray a = seq(2, 3);
        NDArray v = a.view(3, 2);
        NDArray t = a.transpose(0, 1);
        assertSame(a.storage(), v.storage());
        assertSame(a.storage(), t.storage());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, t.toFloatArray());
        assertTrue(!t.isContiguous());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, t.reshape(6).toFloatArray());
    }

    @Test
    void view_nonContiguousThrowsNamingShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> seq(2, 3).transpose(0, 1).view(6));
        assertTrue(e.getMessage().contains("[6]"), e.getMessage());
    }

    @Test
    void binary_broadcastsRowVector() {
        NDArray a = seq(2, 3);
        NDArray b = NDArray.of(new float[] {10, 20, 30}, 3);
        assertArrayEquals(new float[] {10, 21, 32, 13, 24, 35}, a.add(b).toFloatArray());
        assertArrayEquals(new float[] {0, 3, 6}, seq(3, 1).mul(NDArray.of(new float[] {3}, 1)).toFloatArray());
    }

    @Test
    void binary_incompatibleShapesNameBoth() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> seq(2, 3).add(seq(4)));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4]"), e.getMessage());
    }

    @Test
    void binary_onTransposedOperands() {
        NDArray a = seq(2, 3);
        assertArrayEquals(new float[] {0, 6, 2, 8, 4, 10}, a.transpose(0, 1).add(a.transpose(0, 1)).toFloatArray());
    }

    @Test
    void inPlace_bumpsVersion() {
        NDArray a = seq(4);
        int v = a.version();
        a.binary_(BinaryOp.ADD, 1);
        assertEquals(v + 1, a.version());
        assertArrayEquals(new float[] {1, 2, 3, 4}, a.toFloatArray());
    }

    @Test
    void reduce_overDimsWithKeepDim() {
        NDArray a = seq(2, 3);
        assertArrayEquals(new float[] {3, 5, 7}, a.reduce(ReduceOp.SUM, new int[] {0}, false).toFloatArray());
        assertArrayEquals(new int[] {2, 1}, a.reduce(ReduceOp.SUM, new int[] {1}, true).shape());
        assertArrayEquals(new float[] {2, 5}, a.reduce(ReduceOp.MAX, new int[] {1}, false).toFloatArray());
        assertEquals(15, a.sum().item());
        assertArrayEquals(new long[] {2, 2}, a.argMax(1, false).toLongArray());
    }

    @Test
    void matmul_matchesJavaLoopsForTransposedViews() {
        Generator g = new Generator(1);
        NDArray a = NDArray.uniform(g, -1, 1, DType.FLOAT32, 5, 7);
        NDArray b = NDArray.uniform(g, -1, 1, DType.FLOAT32, 4, 7);
        NDArray c = a.matmul(b.transpose(0, 1));
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        float[] z = c.toFloatArray();
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 4; j++) {
                double s = 0;
                for (int p = 0; p < 7; p++) {
                    s += x[i * 7 + p] * y[j * 7 + p];
                }
                assertEquals(s, z[i * 4 + j], 1e-5);
            }
        }
        assertTrue(CpuBackend.nativeBlas(), "native OpenBLAS should load on this machine");
    }

    @Test
    void matmul_mismatchNamesShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> seq(2, 3).matmul(seq(4, 5)));
        assertEquals("matmul: shapes [2, 3] and [4, 5] cannot be multiplied (3 != 4)", e.getMessage());
    }

    @Test
    void logSoftmax_rowsExponentiateToOne() {
        NDArray a = seq(2, 3);
        NDArray s = a.logSoftmax(1).unary(UnaryOp.EXP).reduce(ReduceOp.SUM, new int[] {1}, false);
        assertArrayEquals(new float[] {1, 1}, s.toFloatArray(), 1e-6f);
    }

    @Test
    void logSoftmax_float32Rows_sameBitsAsTheStridedLoop() {
        NDArray logits = NDArray.normal(new Generator(3), 0, 4, DType.FLOAT32, 37, 10);
        NDArray rows = logits.logSoftmax(1); // lines of consecutive elements: the FLOAT32 fast path
        NDArray columns = logits.transpose(0, 1).contiguous().logSoftmax(0).transpose(0, 1); // strided lines: the general loop
        assertArrayEquals(columns.contiguous().toFloatArray(), rows.toFloatArray(), 0f);
        float[] x = logits.toFloatArray();
        float[] got = rows.toFloatArray();
        for (int r = 0; r < 37; r++) {
            double sum = 0;
            for (int j = 0; j < 10; j++) {
                sum += Math.exp(x[r * 10 + j]);
            }
            for (int j = 0; j < 10; j++) {
                assertEquals(x[r * 10 + j] - Math.log(sum), got[r * 10 + j], 1e-5, "row " + r + ", column " + j);
            }
        }
    }

    @Test
    void gatherAndScatterAdd_roundTrip() {
        NDArray a = seq(2, 3);
        NDArray idx = NDArray.of(new long[] {2, 0}, 2, 1);
        assertArrayEquals(new float[] {2, 3}, a.gather(1, idx).toFloatArray());
        NDArray z = NDArray.zeros(DType.FLOAT32, 2, 3);
        z.scatterAdd_(1, idx, NDArray.of(new float[] {1, 1}, 2, 1));
        assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0}, z.toFloatArray());
        assertArrayEquals(new float[] {3, 4, 5, 0, 1, 2}, a.indexSelect(0, NDArray.of(new long[] {1, 0}, 2)).toFloatArray());
    }

    @Test
    void generator_sameSeedSameNumbers() {
        float[] x = NDArray.normal(new Generator(7), 0, 1, DType.FLOAT32, 1000).toFloatArray();
        float[] y = NDArray.normal(new Generator(7), 0, 1, DType.FLOAT32, 1000).toFloatArray();
        assertArrayEquals(x, y);
        double mean = 0;
        for (float v : x) {
            mean += v / 1000.0;
        }
        assertEquals(0, mean, 0.1);
    }
}
