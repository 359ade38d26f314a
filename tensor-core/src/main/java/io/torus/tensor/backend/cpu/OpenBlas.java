package io.torus.tensor.backend.cpu;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * The native BLAS (bytedeco's OpenBLAS build), loaded on first use. When the native library
 * cannot load (unsupported platform, no space to unpack it) {@link #available()} is false, a
 * single warning names the cause, and callers use the pure-Java kernels instead.
 *
 * <p>Threads: one per worker process unless {@code torus.intraop.threads} (or
 * {@code TORUS_NUM_THREADS}) says otherwise — data-parallel workers already fill the cores.
 */
final class OpenBlas {
    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private static final int TRANS = 112;
    private static volatile Boolean available;

    private OpenBlas() {
    }

    static boolean available() {
        Boolean a = available;
        if (a == null) {
            synchronized (OpenBlas.class) {
                if (available == null) {
                    available = load();
                }
                a = available;
            }
        }
        return a;
    }

    private static boolean load() {
        if (Boolean.getBoolean("torus.blas.disable")) {
            return false;
        }
        try {
            org.bytedeco.javacpp.Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
            org.bytedeco.openblas.global.openblas_nolapack.blas_set_num_threads(CpuBackend.intraOpThreads());
            return true;
        } catch (Throwable t) {
            System.err.println("torus: native OpenBLAS unavailable (" + t + "); using the pure-Java matmul");
            return false;
        }
    }

    /** C = A·B for row-major float matrices; {@code ta}/{@code tb} say whether A/B are stored transposed. */
    static void sgemm(boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS,
                m, n, k, 1f, FloatBuffer.wrap(a, aOff, a.length - aOff), lda,
                FloatBuffer.wrap(b, bOff, b.length - bOff), ldb, 0f, FloatBuffer.wrap(c, cOff, c.length - cOff), ldc);
    }

    static void dgemm(boolean ta, boolean tb, int m, int n, int k, double[] a, int aOff, int lda,
                      double[] b, int bOff, int ldb, double[] c, int cOff, int ldc) {
        org.bytedeco.openblas.global.openblas_nolapack.cblas_dgemm(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS,
                m, n, k, 1d, DoubleBuffer.wrap(a, aOff, a.length - aOff), lda,
                DoubleBuffer.wrap(b, bOff, b.length - bOff), ldb, 0d, DoubleBuffer.wrap(c, cOff, c.length - cOff), ldc);
    }
}
