package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The fast matrix products (OpenBLAS on pinned Java arrays, OpenBLAS on staged operands, the Vector API kernel) against a
 * double-precision reference, on the operand layouts the backend hands them: plain, transposed,
 * offset and padded views, broadcast rows, general strides, and non-contiguous outputs.
 */
class GemmTest {

    enum Impl {
        PINNED_BLAS, PINNED_ONEDNN, STAGED_BLAS, VECTOR;

        boolean available() {
            return switch (this) {
                case PINNED_BLAS -> PinnedBlas.available();
                case PINNED_ONEDNN -> PinnedBlas.onednnActive();
                case STAGED_BLAS -> OpenBlas.available();
                case VECTOR -> VectorApi.ENABLED;
            };
        }

        /** FLOAT64 products never go to oneDNN (it has no dgemm), so PINNED_ONEDNN runs them on OpenBLAS. */
        void gemm(NDArray a, NDArray b, NDArray c) {
            if (this == VECTOR) {
                VectorGemm.gemm(a, b, c);
                return;
            }
            boolean before = PinnedBlas.forceOffForTesting(this == STAGED_BLAS);
            boolean onednnBefore = PinnedBlas.forceOnednnOffForTesting(this != PINNED_ONEDNN);
            long minBefore = PinnedBlas.onednnMinMnkForTesting(0); // every size, not only large ones
            try {
                OpenBlas.gemm(a, b, c);
            } finally {
                PinnedBlas.onednnMinMnkForTesting(minBefore);
                PinnedBlas.forceOnednnOffForTesting(onednnBefore);
                PinnedBlas.forceOffForTesting(before);
            }
        }
    }

    enum Layout { PLAIN, TRANSPOSED, PADDED, TRANSPOSED_PADDED, BROADCAST_ROWS, STRIDED }

    /** Sizes around the vector kernel's blocks (MR = 6, KC = 256, MC = 96, NC = 2048). */
    private static final int[][] SIZES = {{1, 1, 1}, {7, 13, 5}, {33, 17, 29}, {6, 256, 32}, {100, 257, 70}, {5, 3, 2100}};

    private static final Generator GEN = new Generator(42);

    /** An {@code r x c} view of random values with the given layout. */
    static NDArray view(Layout layout, DType dt, int r, int c) {
        return switch (layout) {
            case PLAIN -> NDArray.uniform(GEN, -1, 1, dt, r, c);
            case TRANSPOSED -> NDArray.uniform(GEN, -1, 1, dt, c, r).transpose(0, 1);
            case PADDED -> NDArray.uniform(GEN, -1, 1, dt, r + 3, c + 5).narrow(0, 2, r).narrow(1, 3, c);
            case TRANSPOSED_PADDED -> NDArray.uniform(GEN, -1, 1, dt, c + 2, r + 4).narrow(0, 1, c).narrow(1, 2, r).transpose(0, 1);
            case BROADCAST_ROWS -> NDArray.uniform(GEN, -1, 1, dt, 1, c).expand(r, c);
            case STRIDED -> {
                NDArray base = NDArray.uniform(GEN, -1, 1, dt, r, 2 * c + 1);
                yield new NDArray(base.storage(), new int[] {r, c}, new int[] {2 * c + 1, 2}, 1);
            }
        };
    }

    static double[] reference(NDArray a, NDArray b) {
        int m = a.shape()[0];
        int k = a.shape()[1];
        int n = b.shape()[1];
        double[] x = a.toDoubleArray();
        double[] y = b.toDoubleArray();
        double[] z = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) {
                    z[i * n + j] += x[i * k + p] * y[p * n + j];
                }
            }
        }
        return z;
    }

    private static void assertClose(double[] want, NDArray got, int k, String what) {
        double tol = got.dtype() == DType.FLOAT32 ? 1e-6 * (k + 4) : 1e-14 * (k + 4);
        double[] g = got.toDoubleArray();
        assertEquals(want.length, g.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Math.abs(want[i] - g[i]) > tol) {
                throw new AssertionError(what + ": element " + i + " is " + g[i] + ", expected " + want[i] + " ± " + tol);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void gemm_everyOperandLayoutAndSize(Impl impl) {
        assumeTrue(impl.available(), impl + " not available in this JVM");
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (int[] s : SIZES) {
                for (Layout la : Layout.values()) {
                    for (Layout lb : Layout.values()) {
                        if (s[0] * s[1] * s[2] > 100_000 && la != lb) {
                            continue; // the big sizes only pair each layout with itself
                        }
                        NDArray a = view(la, dt, s[0], s[1]);
                        NDArray b = view(lb, dt, s[1], s[2]);
                        NDArray c = NDArray.full(dt, Double.NaN, s[0], s[2]);
                        impl.gemm(a, b, c);
                        assertClose(reference(a, b), c, s[1], impl + " " + dt + " " + la + " x " + lb + " " + java.util.Arrays.toString(s));
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void gemm_writesIntoNonContiguousOutputs(Impl impl) {
        assumeTrue(impl.available(), impl + " not available in this JVM");
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            NDArray a = view(Layout.PLAIN, dt, 9, 11);
            NDArray b = view(Layout.TRANSPOSED, dt, 11, 7);
            double[] want = reference(a, b);
            NDArray big = NDArray.full(dt, -7, 12, 10);
            NDArray padded = big.narrow(0, 1, 9).narrow(1, 2, 7);
            impl.gemm(a, b, padded);
            assertClose(want, padded, 11, impl + " padded output");
            assertEquals(-7, big.getDouble(0), "padding outside the view is untouched");
            assertEquals(-7, big.getDouble(10 + 9), "padding outside the view is untouched");
            NDArray transposed = NDArray.empty(dt, 7, 9).transpose(0, 1);
            impl.gemm(a, b, transposed);
            assertClose(want, transposed, 11, impl + " transposed output");
        }
    }

    /** An operand beyond the staging buffers that are kept between calls, then small ones again. */
    @Test
    void openBlas_operandLargerThanKeptStaging() {
        assumeTrue(OpenBlas.available(), "native OpenBLAS not available");
        boolean before = PinnedBlas.forceOffForTesting(true);
        try {
            stagedLargeThenSmall();
        } finally {
            PinnedBlas.forceOffForTesting(before);
        }
    }

    private static void stagedLargeThenSmall() {
        int m = (int) (OpenBlas.KEEP_ELEMENTS / 1000) + 7;
        for (int round = 0; round < 2; round++) {
            NDArray a = view(Layout.PLAIN, DType.FLOAT32, m, 1000);
            NDArray b = view(Layout.TRANSPOSED, DType.FLOAT32, 1000, 2);
            NDArray c = NDArray.empty(DType.FLOAT32, m, 2);
            OpenBlas.gemm(a, b, c);
            assertClose(reference(a, b), c, 1000, "large operand, round " + round);
            NDArray s = view(Layout.PLAIN, DType.FLOAT32, 5, 6);
            NDArray t = view(Layout.PLAIN, DType.FLOAT32, 6, 3);
            NDArray u = NDArray.empty(DType.FLOAT32, 5, 3);
            OpenBlas.gemm(s, t, u);
            assertClose(reference(s, t), u, 6, "small operand after a large one, round " + round);
        }
    }

    @Test
    void vectorGemm_sameBitsWithAnyThreadCount() {
        assumeTrue(VectorApi.ENABLED, "Vector API not enabled");
        NDArray a = view(Layout.PLAIN, DType.FLOAT32, 200, 300);
        NDArray b = view(Layout.TRANSPOSED, DType.FLOAT32, 300, 150);
        NDArray one = NDArray.empty(DType.FLOAT32, 200, 150);
        NDArray three = NDArray.empty(DType.FLOAT32, 200, 150);
        int before = IntraOp.threads();
        try {
            IntraOp.setThreads(1);
            VectorGemm.gemm(a, b, one);
            IntraOp.setThreads(3);
            VectorGemm.gemm(a, b, three);
        } finally {
            IntraOp.setThreads(before);
        }
        assertArrayEquals(one.toFloatArray(), three.toFloatArray());
    }

    @Test
    void matmul_batchedAndBroadcastThroughTheBackend() {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            NDArray a = NDArray.uniform(GEN, -1, 1, dt, 3, 5, 7);
            NDArray b = NDArray.uniform(GEN, -1, 1, dt, 3, 4, 7).transpose(1, 2); // [3, 7, 4], transposed batches
            NDArray w = NDArray.uniform(GEN, -1, 1, dt, 7, 4);
            NDArray batched = a.matmul(b);
            NDArray broadcast = a.matmul(w);
            assertEquals(List.of(3, 5, 4), shape(batched));
            for (int i = 0; i < 3; i++) {
                assertClose(reference(a.select(0, i), b.select(0, i)), batched.select(0, i), 7, dt + " batch " + i);
                assertClose(reference(a.select(0, i), w), broadcast.select(0, i), 7, dt + " broadcast batch " + i);
            }
            NDArray v = NDArray.uniform(GEN, -1, 1, dt, 7);
            assertClose(reference(v.unsqueeze(0), w), v.matmul(w).unsqueeze(0), 7, dt + " vector x matrix");
            assertTrue(v.matmul(w).dim() == 1);
        }
    }

    /** Note [Folded batches]: which batched operands become one product, and that both ways agree. */
    @Test
    void matmulBatches_foldsStackedRowsTimesSharedMatrix() {
        NDArray w = NDArray.uniform(GEN, -1, 1, DType.FLOAT32, 7, 3).unsqueeze(0).expand(4, 7, 3);
        NDArray contiguous = NDArray.uniform(GEN, -1, 1, DType.FLOAT32, 4, 5, 7);
        NDArray out = NDArray.empty(DType.FLOAT32, 4, 5, 3);
        MatmulBatches folded = MatmulBatches.fold(contiguous, w, out);
        assertEquals(List.of(1, 20, 7), shape(folded.a()));
        assertEquals(List.of(1, 7, 3), shape(folded.b()));
        assertEquals(List.of(1, 20, 3), shape(folded.c()));
        NDArray rows = NDArray.uniform(GEN, -1, 1, DType.FLOAT32, 4, 1, 7);
        assertEquals(List.of(1, 4, 7), shape(MatmulBatches.fold(rows, w, NDArray.empty(DType.FLOAT32, 4, 1, 3)).a()));

        NDArray padded = NDArray.uniform(GEN, -1, 1, DType.FLOAT32, 4, 6, 7).narrow(1, 0, 5);
        NDArray transposed = NDArray.uniform(GEN, -1, 1, DType.FLOAT32, 4, 7, 5).transpose(1, 2);
        NDArray perBatch = NDArray.uniform(GEN, -1, 1, DType.FLOAT32, 4, 7, 3);
        for (NDArray[] unfoldable : new NDArray[][] {{padded, w}, {transposed, w}, {contiguous, perBatch}}) {
            MatmulBatches same = MatmulBatches.fold(unfoldable[0], unfoldable[1], out);
            assertTrue(same.a() == unfoldable[0] && same.b() == unfoldable[1] && same.c() == out);
        }
    }

    /** Every batch layout through the backend (folded, staged-once shared operand, per batch) against the reference. */
    @Test
    void matmul_sharedOperandsAndFoldedBatches() {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.FLOAT32}) {
            NDArray w = NDArray.uniform(GEN, -1, 1, dt, 7, 3);
            NDArray lhs = NDArray.uniform(GEN, -1, 1, dt, 5, 7);
            NDArray[] batches = {
                NDArray.uniform(GEN, -1, 1, dt, 4, 5, 7),                          // folds
                NDArray.uniform(GEN, -1, 1, dt, 4, 6, 7).narrow(1, 1, 5),          // padded rows: per batch, w staged once
                NDArray.uniform(GEN, -1, 1, dt, 4, 7, 5).transpose(1, 2),          // transposed batches
                NDArray.uniform(GEN, -1, 1, dt, 4, 1, 7),                          // one row per batch: folds
            };
            for (NDArray x : batches) {
                NDArray y = x.matmul(w);
                for (int i = 0; i < x.shape()[0]; i++) {
                    assertClose(reference(x.select(0, i), w), y.select(0, i), 7, dt + " " + x + " batch " + i);
                }
            }
            NDArray rhs = NDArray.uniform(GEN, -1, 1, dt, 4, 7, 3);
            NDArray z = lhs.matmul(rhs); // the shared matrix on the left
            for (int i = 0; i < 4; i++) {
                assertClose(reference(lhs, rhs.select(0, i)), z.select(0, i), 7, dt + " shared left operand, batch " + i);
            }
        }
    }

    private static List<Integer> shape(NDArray x) {
        List<Integer> s = new ArrayList<>();
        for (int d : x.shape()) {
            s.add(d);
        }
        return s;
    }
}
