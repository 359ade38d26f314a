package io.torus.tensor.backend.cuda;

import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Note [Layouts]: what kernels receive for each operand, checked against NDArray's own addressing. */
class LayoutsTest {

    /** The kernels' at(): storage position of row-major element i. */
    static long at(int[] l, long i) {
        long pos = l[1];
        for (int d = l[0] - 1; d >= 0; d--) {
            int s = l[2 + d];
            pos += (i % s) * l[2 + Layouts.MAX_DIMS + d];
            i /= s;
        }
        return pos;
    }

    private static void assertAddressesMatch(NDArray[] ops, int[][] layouts) {
        for (int k = 0; k < ops.length; k++) {
            for (long i = 0; i < ops[0].numel(); i++) {
                assertEquals(ops[k].storageIndex(i), at(layouts[k], i), "operand " + k + " element " + i);
            }
        }
    }

    @Test
    void elementwise_contiguousOperandsMergeIntoOneDim() {
        NDArray a = NDArray.zeros(DType.FLOAT32, 4, 5, 6);
        NDArray b = NDArray.zeros(DType.FLOAT32, 4, 5, 6);
        int[][] l = Layouts.elementwise(a, b);
        assertEquals(1, l[0][0]);
        assertEquals(120, l[0][2]);
        assertAddressesMatch(new NDArray[] {a, b}, l);
    }

    @Test
    void elementwise_transposedAndBroadcastOperandsKeepTheirDimsAndAddressLikeNDArray() {
        NDArray a = NDArray.zeros(DType.FLOAT32, 6, 5, 4).permute(2, 1, 0).narrow(2, 1, 4); // [4, 5, 4]
        NDArray b = NDArray.zeros(DType.FLOAT32, 5, 1).expand(4, 5, 4);
        NDArray out = NDArray.zeros(DType.FLOAT32, 4, 5, 4);
        int[][] l = Layouts.elementwise(a, b, out);
        assertTrue(l[0][0] >= 2, "a transposed operand cannot merge all dims: " + Arrays.toString(l[0]));
        assertAddressesMatch(new NDArray[] {a, b, out}, l);
    }

    @Test
    void elementwise_sizeOneDimsAreDroppedAndAScalarHasNoDims() {
        NDArray a = NDArray.zeros(DType.FLOAT64, 3, 1, 4).transpose(0, 2); // [4, 1, 3]
        NDArray out = NDArray.zeros(DType.FLOAT64, 4, 1, 3);
        int[][] l = Layouts.elementwise(a, out);
        assertEquals(2, l[0][0]);
        assertAddressesMatch(new NDArray[] {a, out}, l);
        int[][] s = Layouts.elementwise(NDArray.scalar(2, DType.FLOAT32));
        assertEquals(0, s[0][0]);
    }

    @Test
    void exact_moreThanEightDimsIsAClearError() {
        int[] shape = new int[9];
        Arrays.fill(shape, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Layouts.exact(NDArray.zeros(DType.FLOAT32, shape)));
        assertTrue(e.getMessage().contains("9 dims") && e.getMessage().contains("at most 8"), e.getMessage());
    }

    @Test
    void select_splitsKeptAndReducedDims() {
        NDArray x = NDArray.zeros(DType.FLOAT32, 3, 4, 5).permute(1, 2, 0); // [4, 5, 3]
        boolean[] reduced = {false, true, false};
        int[] kept = Layouts.select(x.shape(), x.strides(), x.offset(), reduced, false);
        int[] red = Layouts.select(x.shape(), x.strides(), 0, reduced, true);
        assertArrayEquals(new int[] {2, x.offset(), 4, 3}, Arrays.copyOf(kept, 4));
        assertArrayEquals(new int[] {1, 0, 5}, Arrays.copyOf(red, 3));
        // element (i, j, k) = kept(i, k) + red(j)
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 5; j++) {
                for (int k = 0; k < 3; k++) {
                    long flat = (i * 5L + j) * 3 + k;
                    assertEquals(x.storageIndex(flat), at(kept, i * 3L + k) + at(red, j));
                }
            }
        }
    }
}
