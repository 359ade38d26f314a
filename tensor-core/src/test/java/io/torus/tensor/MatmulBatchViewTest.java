package io.torus.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * How {@code matmul} hands its operands to the backend as {@code [nb, r, c]}: views wherever the
 * batch dims merge (transposed and broadcast matrices included), copies only where they cannot,
 * and products that agree with per-batch 2-D ones either way.
 */
class MatmulBatchViewTest {

    private static final Generator GEN = new Generator(11);

    private static NDArray seq(int... shape) {
        return NDArray.arange(0, Shape.numel(shape), 1, DType.FLOAT32).view(shape);
    }

    @Test
    void batchView_transposedMatrixIsAViewWithItsStrides() {
        NDArray wt = seq(4, 3).transpose(0, 1);
        NDArray v = NDArray.batchView(wt, 1);
        assertSame(wt.storage(), v.storage());
        assertArrayEquals(new int[] {1, 3, 4}, v.shape());
        assertArrayEquals(new int[] {0, 1, 3}, v.strides());
        assertArrayEquals(wt.toFloatArray(), v.toFloatArray());
    }

    @Test
    void batchView_broadcastMatrixKeepsBatchStrideZero() {
        NDArray w = seq(7, 3);
        NDArray v = NDArray.batchView(w.expand(2, 5, 7, 3), 10);
        assertSame(w.storage(), v.storage());
        assertArrayEquals(new int[] {0, 3, 1}, v.strides());
    }

    @Test
    void batchView_mergesEvenlySpacedBatchesAndCopiesTheRest() {
        NDArray x = seq(2, 5, 4, 3);
        NDArray merged = NDArray.batchView(x, 10);
        assertSame(x.storage(), merged.storage());
        assertArrayEquals(new int[] {12, 3, 1}, merged.strides());

        NDArray swapped = x.transpose(0, 1); // [5, 2, 4, 3]: batch strides 12 and 60 do not merge
        NDArray copied = NDArray.batchView(swapped, 10);
        assertNotSame(x.storage(), copied.storage());
        assertArrayEquals(swapped.contiguous().toFloatArray(), copied.toFloatArray());

        NDArray partlyBroadcast = seq(2, 1, 4, 3).expand(2, 5, 4, 3); // batch strides 12 and 0
        assertArrayEquals(partlyBroadcast.contiguous().toFloatArray(), NDArray.batchView(partlyBroadcast, 10).toFloatArray());
    }

    @Test
    void matmul_broadcastBatchesMatchPerBatchProducts() {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            NDArray x = NDArray.uniform(GEN, -1, 1, dt, 2, 3, 5, 7);
            NDArray w = NDArray.uniform(GEN, -1, 1, dt, 4, 7).transpose(0, 1);
            NDArray y = NDArray.uniform(GEN, -1, 1, dt, 3, 7, 4);
            NDArray xw = x.matmul(w);
            NDArray xy = x.matmul(y);
            assertArrayEquals(new int[] {2, 3, 5, 4}, xw.shape());
            assertArrayEquals(new int[] {2, 3, 5, 4}, xy.shape());
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 3; j++) {
                    NDArray xij = x.select(0, i).select(0, j);
                    assertClose(xij.matmul(w.contiguous()), xw.select(0, i).select(0, j));
                    assertClose(xij.matmul(y.select(0, j).contiguous()), xy.select(0, i).select(0, j));
                }
            }
        }
    }

    private static void assertClose(NDArray want, NDArray got) {
        double[] w = want.toDoubleArray();
        double[] g = got.toDoubleArray();
        assertEquals(w.length, g.length);
        for (int i = 0; i < w.length; i++) {
            assertEquals(w[i], g[i], 1e-5, "element " + i);
        }
    }
}
