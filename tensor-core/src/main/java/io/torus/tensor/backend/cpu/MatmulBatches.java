package io.torus.tensor.backend.cpu;

import io.torus.tensor.NDArray;

/**
 * The batched operands of {@code C[i] = A[i] · B[i]} ({@code [nb, m, k] x [nb, k, n] -> [nb, m, n]}),
 * folded into one product where the batches allow it.
 *
 * <p>Note [Folded batches]: {@code x.matmul(w)} with {@code x} of shape {@code [nb, m, k]} and a
 * 2-D {@code w} reaches the backend with {@code w} expanded to {@code [nb, k, n]}: every batch
 * multiplies by the same matrix. When the rows of {@code A}'s batches follow each other at one
 * stride (a contiguous {@code x}, or any view whose batch stride is {@code m} times its row
 * stride) and so do {@code C}'s, the {@code nb} products are the rows of one
 * {@code [nb·m, k] x [k, n]} product: one BLAS call that stages the shared matrix once instead of
 * {@code nb} calls that stage it {@code nb} times, each too short for BLAS to reach its speed.
 * PyTorch folds the same case ({@code at::matmul}, "fold the batch into the first dimension").
 * Measured {@code [32, 64, 256] x [256, 256]}, FLOAT32, 1 thread, before and after in turn on a
 * 2-vCPU VM that other builds kept at load 15-25 (so only the ratio means much), medians of three
 * JVMs: 18.0-21.6 ms as 32 staged products, 8.9-17.2 ms folded; the folded sgemm alone on
 * off-heap operands 5.6-10.2 ms.
 */
record MatmulBatches(NDArray a, NDArray b, NDArray c) {

    /** The operands as one {@code [1, nb·m, k] x [1, k, n]} product where possible, else as they are. */
    static MatmulBatches fold(NDArray a, NDArray b, NDArray c) {
        int nb = a.shape()[0];
        if (nb <= 1 || b.strides()[0] != 0) {
            return new MatmulBatches(a, b, c);
        }
        int[] rowsA = stackedRows(a);
        int[] rowsC = stackedRows(c);
        if (rowsA == null || rowsC == null) {
            return new MatmulBatches(a, b, c);
        }
        int m = a.shape()[1];
        int k = a.shape()[2];
        int n = c.shape()[2];
        return new MatmulBatches(
                new NDArray(a.storage(), new int[] {1, nb * m, k}, rowsA, a.offset()),
                b.narrow(0, 0, 1),
                new NDArray(c.storage(), new int[] {1, nb * m, n}, rowsC, c.offset()));
    }

    /**
     * Strides {@code [0, row, column]} of {@code x [nb, m, cols]} viewed as {@code [1, nb·m, cols]},
     * or null when its batches' rows are not evenly spaced.
     */
    private static int[] stackedRows(NDArray x) {
        int m = x.shape()[1];
        int[] st = x.strides();
        if (m == 1) {
            return new int[] {0, st[0], st[2]};
        }
        return st[0] == m * st[1] ? new int[] {0, st[1], st[2]} : null;
    }
}
