package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;

import java.lang.ref.Reference;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * The native BLAS (bytedeco's OpenBLAS build), loaded on first use. When the native library
 * cannot load (unsupported platform, no space to unpack it, {@code -Dtorus.blas.disable=true}, or
 * an {@code OPENBLAS_CORETYPE} this CPU cannot run: see {@link BlasCoreType}) {@link #available()}
 * is false, a single warning names the cause, and callers use the Java kernels instead.
 *
 * <p>Note [Staged operands]: Torus keeps tensors in Java arrays, and handing a {@code float[]}
 * (or a heap buffer wrapping one) to a JavaCPP function makes JNI copy every array in and out
 * again, all three of them, into freshly allocated memory, on every call. Instead each thread owns
 * three reusable off-heap buffers: the operands are copied in once (densely, each in whichever
 * orientation its strides make contiguous, so transposed views need no extra copy and BLAS gets
 * the transpose flag), BLAS runs on those pointers, and only the result is copied back. Measured
 * single-thread sgemm on the AVX-512 kernels (2-vCPU VM, best of 5, ±30 %):
 * <pre>
 *   m x k x n         heap FloatBuffer.wrap   float[]    staged    off-heap, no copies (bound)
 *   64 x 784 x 256    267 us                  260 us     252 us    202 us
 *   256 x 256 x 256   252 us                  246 us     232 us    207 us
 *   1024^3            19.9 ms                 18.5 ms    14.0 ms   12.8 ms
 * </pre>
 * Copying with {@link FloatBuffer} bulk puts (plain Java) and with JavaCPP's {@code put(float[])}
 * (JNI) cost the same; the former is used. Buffers grow to the largest operand seen and stay,
 * up to {@link #KEEP_ELEMENTS} (2048 x 2048); larger ones are freed after the call, where the
 * product's O(n^3) work dwarfs an allocation.
 *
 * <p>Threads: {@link IntraOp#threads()} (one unless {@code torus.intraop.threads} or
 * {@code TORUS_NUM_THREADS} says otherwise), through {@code blas_set_num_threads}. OpenBLAS
 * splits a product among its threads differently for different counts, so unlike the Java
 * kernels (Note [Fixed chunks]) its results repeat exactly at a fixed thread count but may differ
 * in the last bits between counts.
 */
final class OpenBlas {
    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private static final int TRANS = 112;
    /** Staging buffers up to this many elements (16 MiB of floats) stay allocated between calls. */
    static final long KEEP_ELEMENTS = 1L << 22;
    private static volatile Boolean available;
    private static final ThreadLocal<Staging> STAGING = ThreadLocal.withInitial(Staging::new);

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
        BlasCoreType.Decision d = BlasCoreType.forThisProcess();
        if (d.action() == BlasCoreType.Action.UNSET) {
            System.err.println("torus: " + d.reason() + ": not loading native OpenBLAS; using the Java matmul");
            return false;
        }
        if (d.action() == BlasCoreType.Action.SET) {
            System.err.println("torus: " + d.reason() + ". OpenBLAS reads it only as it loads, so this JVM keeps it:"
                    + " start the JVM with " + BlasCoreType.ENV + "=" + d.value() + " (torus run does so for its workers)");
        }
        try {
            org.bytedeco.javacpp.Loader.load(openblas_nolapack.class);
            openblas_nolapack.blas_set_num_threads(IntraOp.threads());
            return true;
        } catch (Throwable t) {
            System.err.println("torus: native OpenBLAS unavailable (" + t + "); using the Java matmul");
            return false;
        }
    }

    /** Hands a new intra-op thread count to OpenBLAS, if it is loaded. */
    static void setThreads(int n) {
        if (Boolean.TRUE.equals(available)) {
            openblas_nolapack.blas_set_num_threads(n);
        }
    }

    /** {@code c = a · b} for 2-D views {@code [m, k] x [k, n] -> [m, n]} of FLOAT32 or FLOAT64, any strides. */
    static void gemm(NDArray a, NDArray b, NDArray c) {
        int m = a.shape()[0];
        int k = a.shape()[1];
        int n = b.shape()[1];
        if (m == 0 || n == 0) {
            return;
        }
        Staging s = STAGING.get();
        try {
            if (a.dtype() == DType.FLOAT32) {
                FloatPointer pa = s.floats(0, (long) m * k);
                FloatPointer pb = s.floats(1, (long) k * n);
                FloatPointer pc = s.floats(2, (long) m * n);
                boolean ta = stage(a, s.floatBuffer(0), null);
                boolean tb = stage(b, s.floatBuffer(1), null);
                openblas_nolapack.cblas_sgemm(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, m, n, k,
                        1f, pa, ta ? m : k, pb, tb ? k : n, 0f, pc, n);
                unstage(s.floatBuffer(2), null, c);
            } else {
                DoublePointer pa = s.doubles(0, (long) m * k);
                DoublePointer pb = s.doubles(1, (long) k * n);
                DoublePointer pc = s.doubles(2, (long) m * n);
                boolean ta = stage(a, null, s.doubleBuffer(0));
                boolean tb = stage(b, null, s.doubleBuffer(1));
                openblas_nolapack.cblas_dgemm(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, m, n, k,
                        1d, pa, ta ? m : k, pb, tb ? k : n, 0d, pc, n);
                unstage(null, s.doubleBuffer(2), c);
            }
        } finally {
            s.trim();
        }
    }

    /**
     * Copies the 2-D view {@code x} densely into {@code fb} (FLOAT32) or {@code db} (FLOAT64):
     * row-major when its rows are contiguous, else column-major (returns true: BLAS transposes)
     * when its columns are, else through a contiguous copy.
     */
    private static boolean stage(NDArray x, FloatBuffer fb, DoubleBuffer db) {
        int[] sh = x.shape();
        int[] st = x.strides();
        boolean trans = st[1] != 1 && st[0] == 1;
        if (st[1] != 1 && st[0] != 1) {
            x = x.contiguous();
            st = x.strides();
            trans = false;
        }
        int lines = trans ? sh[1] : sh[0];
        int len = trans ? sh[0] : sh[1];
        int stride = trans ? st[1] : st[0];
        int off = x.offset();
        if (stride == len || lines == 1) {
            put(x, off, 0, lines * len, fb, db);
        } else {
            for (int l = 0; l < lines; l++) {
                put(x, off + l * stride, l * len, len, fb, db);
            }
        }
        Reference.reachabilityFence(x); // a contiguous copy read through its bare array (Note [Storage arrays])
        return trans;
    }

    private static void put(NDArray x, int from, int to, int count, FloatBuffer fb, DoubleBuffer db) {
        if (fb != null) {
            fb.put(to, x.storage().floats(), from, count);
        } else {
            db.put(to, x.storage().doubles(), from, count);
        }
    }

    /** Copies the dense row-major result out of the staging buffer into {@code c}. */
    private static void unstage(FloatBuffer fb, DoubleBuffer db, NDArray c) {
        int[] sh = c.shape();
        int[] st = c.strides();
        int m = sh[0];
        int n = sh[1];
        if (st[1] == 1 || n == 1) {
            int stride = st[0];
            if (stride == n || m == 1) {
                get(fb, db, 0, c, c.offset(), m * n);
            } else {
                for (int i = 0; i < m; i++) {
                    get(fb, db, i * n, c, c.offset() + i * stride, n);
                }
            }
            return;
        }
        NDArray dense = NDArray.empty(c.dtype(), m, n);
        get(fb, db, 0, dense, 0, m * n);
        c.backend().copy(dense, c);
    }

    private static void get(FloatBuffer fb, DoubleBuffer db, int from, NDArray c, int to, int count) {
        if (fb != null) {
            fb.get(from, c.storage().floats(), to, count);
        } else {
            db.get(from, c.storage().doubles(), to, count);
        }
    }

    /** One thread's off-heap operand buffers: slots 0, 1, 2 for A, B, C, per dtype. */
    private static final class Staging {
        private final FloatPointer[] floats = new FloatPointer[3];
        private final FloatBuffer[] floatBuffers = new FloatBuffer[3];
        private final DoublePointer[] doubles = new DoublePointer[3];
        private final DoubleBuffer[] doubleBuffers = new DoubleBuffer[3];

        FloatPointer floats(int slot, long n) {
            if (floats[slot] == null || floats[slot].capacity() < n) {
                close(floats[slot]);
                floats[slot] = new FloatPointer(grow(n));
                floatBuffers[slot] = floats[slot].asBuffer();
            }
            return floats[slot];
        }

        DoublePointer doubles(int slot, long n) {
            if (doubles[slot] == null || doubles[slot].capacity() < n) {
                close(doubles[slot]);
                doubles[slot] = new DoublePointer(grow(n));
                doubleBuffers[slot] = doubles[slot].asBuffer();
            }
            return doubles[slot];
        }

        FloatBuffer floatBuffer(int slot) {
            return floatBuffers[slot];
        }

        DoubleBuffer doubleBuffer(int slot) {
            return doubleBuffers[slot];
        }

        /** Frees buffers that grew beyond {@link #KEEP_ELEMENTS}. */
        void trim() {
            for (int i = 0; i < 3; i++) {
                if (floats[i] != null && floats[i].capacity() > KEEP_ELEMENTS) {
                    close(floats[i]);
                    floats[i] = null;
                    floatBuffers[i] = null;
                }
                if (doubles[i] != null && doubles[i].capacity() > KEEP_ELEMENTS) {
                    close(doubles[i]);
                    doubles[i] = null;
                    doubleBuffers[i] = null;
                }
            }
        }

        private static long grow(long n) {
            return Math.max(n, Math.min(KEEP_ELEMENTS, n + n / 4));
        }

        private static void close(Pointer p) {
            if (p != null) {
                p.close();
            }
        }
    }
}
