package io.torus.tensor.backend.cuda;

import io.torus.tensor.DType;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;
import jcuda.runtime.cudaStream_t;

/**
 * Batched {@code C = alpha * A x B + beta * C} on one device, row-major, with any strides: cuBLAS
 * ({@code cublas<S|D>gemmStridedBatched}) when libcublas.so.12 loaded and the operands have a
 * BLAS layout, otherwise our own tiled kernel (gemm.cu), which takes any strides and also serves
 * the integer dtypes.
 *
 * <p>Note [Row-major GEMM on cuBLAS]. cuBLAS is column-major. A row-major matrix with row stride
 * {@code ld} is, read column-major with the same {@code ld}, its own transpose. So the row-major
 * product {@code C = A B} is computed as the column-major {@code C^T = B^T A^T}: cuBLAS's first
 * operand is B, its second A, with m = N and n = M. A row-major operand (column stride 1) is passed
 * as stored (OP_N); a column-major one (row stride 1, e.g. a transposed view) with OP_T. C must be
 * row-major. A dim of size 1 has no meaningful stride and is normalised first.
 */
final class Gemm {
    /** One operand: storage base pointer, element offset, and batch, row and column strides in elements. */
    record Mat(CUdeviceptr base, long offset, long batchStride, long rowStride, long colStride) {
    }

    private static final int MAX_GRID_Z = 65535;

    private final CudaDevice device;
    private final cublasHandle handle;

    Gemm(CudaDevice device, boolean useCublas) {
        this.device = device;
        cublasHandle h = null;
        if (useCublas) {
            h = new cublasHandle();
            JCublas2.cublasCreate(h);
            JCublas2.cublasSetStream(h, new cudaStream_t(device.stream));
        }
        this.handle = h;
    }

    boolean usesCublas() {
        return handle != null;
    }

    void gemm(DType dt, int batch, int m, int n, int k, double alpha, Mat a, Mat b, double beta, Mat c) {
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        if (handle != null && (dt == DType.FLOAT32 || dt == DType.FLOAT64) && cublas(dt, batch, m, n, k, alpha, a, b, beta, c)) {
            return;
        }
        String name = "gemm_" + CudaTypes.suffix(dt);
        for (int b0 = 0; b0 < batch; b0 += MAX_GRID_Z) {
            int nb = Math.min(MAX_GRID_Z, batch - b0);
            device.launchGrid("gemm", name, (n + 63) / 64, (m + 63) / 64, nb, 256, 0,
                    m, n, k, CudaTypes.scalar(dt, alpha),
                    a.base(), a.offset() + b0 * a.batchStride(), a.batchStride(), a.rowStride(), a.colStride(),
                    b.base(), b.offset() + b0 * b.batchStride(), b.batchStride(), b.rowStride(), b.colStride(),
                    CudaTypes.scalar(dt, beta),
                    c.base(), c.offset() + b0 * c.batchStride(), c.batchStride(), c.rowStride(), c.colStride());
        }
    }

    /** {op, ld} of a rows x cols operand for cuBLAS (see the Note), or null when it has no BLAS layout. */
    static int[] blasLayout(int rows, int cols, long rowStride, long colStride) {
        long sr = rows == 1 ? Math.max(1, cols) : rowStride;
        long sc = cols == 1 ? 1 : colStride;
        if (sc == 1 && sr >= Math.max(1, cols) && sr <= Integer.MAX_VALUE) {
            return new int[] {cublasOperation.CUBLAS_OP_N, (int) sr};
        }
        if (rows > 1 && sr == 1 && sc >= rows && sc <= Integer.MAX_VALUE) {
            return new int[] {cublasOperation.CUBLAS_OP_T, (int) sc};
        }
        return null;
    }

    private boolean cublas(DType dt, int batch, int m, int n, int k, double alpha, Mat a, Mat b, double beta, Mat c) {
        int[] la = blasLayout(m, k, a.rowStride(), a.colStride());
        int[] lb = blasLayout(k, n, b.rowStride(), b.colStride());
        int[] lc = blasLayout(m, n, c.rowStride(), c.colStride());
        if (la == null || lb == null || lc == null || lc[0] != cublasOperation.CUBLAS_OP_N) {
            return false;
        }
        int es = CudaTypes.size(dt);
        Pointer pa = a.base().withByteOffset(a.offset() * es);
        Pointer pb = b.base().withByteOffset(b.offset() * es);
        Pointer pc = c.base().withByteOffset(c.offset() * es);
        device.makeCurrent();
        if (dt == DType.FLOAT32) {
            JCublas2.cublasSgemmStridedBatched(handle, lb[0], la[0], n, m, k, Pointer.to(new float[] {(float) alpha}),
                    pb, lb[1], b.batchStride(), pa, la[1], a.batchStride(), Pointer.to(new float[] {(float) beta}),
                    pc, lc[1], c.batchStride(), batch);
        } else {
            JCublas2.cublasDgemmStridedBatched(handle, lb[0], la[0], n, m, k, Pointer.to(new double[] {alpha}),
                    pb, lb[1], b.batchStride(), pa, la[1], a.batchStride(), Pointer.to(new double[] {beta}),
                    pc, lc[1], c.batchStride(), batch);
        }
        return true;
    }
}
