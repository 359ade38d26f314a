package io.torus.tensor.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Note [Row-major GEMM on cuBLAS]: which operands reach cuBLAS, with which op and leading dimension. */
class GemmLayoutTest {
    private static final int N = 0; // CUBLAS_OP_N
    private static final int T = 1; // CUBLAS_OP_T

    @Test
    void blasLayout_rowMajorIsOpNWithItsRowStride() {
        assertArrayEquals(new int[] {N, 7}, Gemm.blasLayout(3, 7, 7, 1));
        assertArrayEquals(new int[] {N, 10}, Gemm.blasLayout(3, 7, 10, 1)); // a narrowed row-major view
    }

    @Test
    void blasLayout_transposedViewIsOpTWithItsColumnStride() {
        assertArrayEquals(new int[] {T, 3}, Gemm.blasLayout(3, 7, 1, 3));
    }

    @Test
    void blasLayout_sizeOneDimsHaveNoStrideToRespect() {
        assertArrayEquals(new int[] {N, 7}, Gemm.blasLayout(1, 7, 0, 1)); // a single row, broadcast
        assertArrayEquals(new int[] {N, 5}, Gemm.blasLayout(4, 1, 5, 99)); // a single column
    }

    @Test
    void blasLayout_otherStridesGoToOurOwnKernel() {
        assertNull(Gemm.blasLayout(3, 7, 14, 2)); // every other column
        assertNull(Gemm.blasLayout(3, 7, 0, 1));  // rows broadcast (stride 0)
        assertNull(Gemm.blasLayout(3, 7, 1, 2));  // column-major with an overlapping leading dimension
    }
}
