package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;

import java.lang.ref.Reference;
import java.nio.Buffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * The native BLAS (bytedeco's OpenBLAS build), loaded on first use. When the native library
 * cannot load (unsupported platform, no space to unpack it, {@code -Dtorus.blas.disable=true}, or
 * an {@code OPENBLAS_CORETYPE} this CPU cannot run: see {@link BlasCoreType}) {@link #available()}
 * is false, a single warning names the cause, and callers use the Java kernels instead.
 *
 * <p>Where {@link PinnedBlas} is available (our JNI library, built with tensor-core when a C
 * compiler and the JDK's headers are there) the products run on the Java arrays themselves
 * (Note [Pinned operands]); everything below describes the fallback that copies them.
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
 * product's O(n^3) work dwarfs an allocation. {@link #gemmBatched} stages a matrix shared by every
 * batch (batch stride 0) once; {@code NDArray.matmul} hands transposed and broadcast operands over
 * as views, so they arrive here with their strides instead of as contiguous copies.
 *
 * <p>Note [Where the staged time goes]: one call {@code C = A·B}, n x n FLOAT32, a fresh output as
 * {@code NDArray.matmul} makes it, each phase timed inside the loop (Sapphire Rapids VM, SkylakeX
 * kernels, 1 thread, load ~4, median of 10 rounds, us):
 * <pre>
 *   n      new float[] out   stage A   stage B   sgemm    copy C out   sgemm alone, off-heap (bound)
 *   256    28-124            10        10        232      17           229
 *   512    111-117           78        78        1738     131          1709
 *   1024   430-815           599       573       13874    539          13616
 * </pre>
 * The BLAS call itself runs at the bound; the gap is the three copies and the fresh output, and
 * they are bound by memory traffic, not by how they are made: on cold data Unsafe.copyMemory (what
 * the buffer puts use), JNI {@code Get/SetFloatArrayRegion}, 512-bit Vector API loops, 64 KiB
 * chunks and even heap-to-heap {@code System.arraycopy} all move 7-9 GB/s here (n = 256 to 1024).
 * An output allocated without zeroing ({@code jdk.internal.misc.Unsafe.allocateUninitializedArray})
 * saved nothing measurable: the cost of the fresh array is its cold memory, not the zeroing pass.
 * Splitting the product into row panels so that each staged panel is consumed while cache-hot did
 * not pay either in a (loaded) trial: OpenBLAS then packs B once per panel. So with operands in Java arrays the
 * staged product tops out near 0.85-0.9 of the bound at n = 256..1024 on this machine.
 * Zero-copy needs native memory the GC cannot move: bytedeco's {@code float[]} overloads (and
 * JNA's direct mapping) use {@code Get<Type>ArrayElements}, which copies all three arrays into
 * fresh native memory and back (1024^3: 18.8-45 ms against 13.6), and JDK 17's foreign-function
 * API refuses heap segments. What would reach the bound: off-heap {@code Storage} (operands are
 * then passed as they are; only the output allocation remains), or a small JNI shim that pins the
 * arrays with {@code GetPrimitiveArrayCritical} around {@code cblas_sgemm} (a throwaway prototype
 * came within the noise of the off-heap call at n = 256 and 1024, measured under load; it needs a
 * C toolchain and per-platform builds, and it blocks every GC for the length of the call, so
 * a 100 ms product at n = 2048 stalls allocating threads that long), or JDK 22's
 * {@code Linker.Option.critical(true)}, which accepts heap segments.
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
            PinnedBlas.setThreads(n);
        }
    }

    /** {@code c = a · b} for 2-D views {@code [m, k] x [k, n] -> [m, n]} of FLOAT32 or FLOAT64, any strides. */
    static void gemm(NDArray a, NDArray b, NDArray c) {
        gemmBatched(a.unsqueeze(0), b.unsqueeze(0), c.unsqueeze(0));
    }

    /**
     * {@code c[i] = a[i] · b[i]} for 3-D views {@code [nb, m, k] x [nb, k, n] -> [nb, m, n]} of
     * FLOAT32 or FLOAT64, any strides. An operand whose batch stride is 0 (one matrix broadcast
     * to every batch) is staged once.
     */
    static void gemmBatched(NDArray a, NDArray b, NDArray c) {
        int batch = a.shape()[0];
        int m = a.shape()[1];
        int k = a.shape()[2];
        int n = b.shape()[2];
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        if (PinnedBlas.available()) {
            gemmPinned(a, b, c);
            return;
        }
        boolean f32 = a.dtype() == DType.FLOAT32;
        Staging s = STAGING.get();
        try {
            Pointer pa = s.pointer(f32, 0, (long) m * k);
            Pointer pb = s.pointer(f32, 1, (long) k * n);
            Pointer pc = s.pointer(f32, 2, (long) m * n);
            boolean ta = false;
            boolean tb = false;
            for (int i = 0; i < batch; i++) {
                if (i == 0 || a.strides()[0] != 0) {
                    ta = stage(a.select(0, i), s.buffer(f32, 0));
                }
                if (i == 0 || b.strides()[0] != 0) {
                    tb = stage(b.select(0, i), s.buffer(f32, 1));
                }
                int transA = ta ? TRANS : NO_TRANS;
                int transB = tb ? TRANS : NO_TRANS;
                if (f32) {
                    openblas_nolapack.cblas_sgemm(ROW_MAJOR, transA, transB, m, n, k,
                            1f, (FloatPointer) pa, ta ? m : k, (FloatPointer) pb, tb ? k : n, 0f, (FloatPointer) pc, n);
                } else {
                    openblas_nolapack.cblas_dgemm(ROW_MAJOR, transA, transB, m, n, k,
                            1d, (DoublePointer) pa, ta ? m : k, (DoublePointer) pb, tb ? k : n, 0d, (DoublePointer) pc, n);
                }
                unstage(s.buffer(f32, 2), c.select(0, i));
            }
        } finally {
            s.trim();
        }
    }

    /**
     * {@link #gemmBatched} on the arrays themselves (Note [Pinned operands] in {@link PinnedBlas}):
     * an operand whose rows or columns are contiguous is read where it is, any other one is made
     * contiguous first; a C that BLAS cannot write in place (transposed or strided columns, or in
     * the storage of A or B) is computed into a fresh array and copied over.
     */
    private static void gemmPinned(NDArray a, NDArray b, NDArray c) {
        int batch = a.shape()[0];
        int m = a.shape()[1];
        int k = a.shape()[2];
        int n = b.shape()[2];
        PinnedBlas.Operand pa = operand(a);
        if (pa == null) {
            a = dense(a);
            pa = operand(a);
        }
        PinnedBlas.Operand pb = operand(b);
        if (pb == null) {
            b = dense(b);
            pb = operand(b);
        }
        NDArray out = c;
        PinnedBlas.Operand pc = operand(c);
        if (pc == null || pc.trans() || c.storage() == a.storage() || c.storage() == b.storage()
                || (batch > 1 && c.strides()[0] < m * pc.ld())) {
            out = NDArray.empty(c.dtype(), c.shape());
            pc = operand(out);
        }
        PinnedBlas.gemm(batch, m, n, k, pa, pb, 0, pc);
        if (out != c) {
            c.backend().copy(out, c);
        }
        Reference.reachabilityFence(a); // contiguous copies made here, read through their bare arrays
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(out);
    }

    /**
     * How BLAS reads the 3-D view {@code x [nb, rows, cols]}: row-major when its rows are
     * contiguous, transposed when its columns are, null when neither.
     */
    static PinnedBlas.Operand operand(NDArray x) {
        int[] sh = x.shape();
        int[] st = x.strides();
        int rows = sh[1];
        int cols = sh[2];
        int batchStride = sh[0] == 1 ? 0 : st[0];
        Object array = x.storage().array();
        if ((cols == 1 || st[2] == 1) && (rows == 1 || st[1] >= cols)) {
            return new PinnedBlas.Operand(array, x.offset(), batchStride, rows == 1 ? Math.max(1, cols) : st[1], false);
        }
        if ((rows == 1 || st[1] == 1) && (cols == 1 || st[2] >= rows)) {
            return new PinnedBlas.Operand(array, x.offset(), batchStride, cols == 1 ? Math.max(1, rows) : st[2], true);
        }
        return null;
    }

    /** A contiguous copy of {@code x}; one matrix with batch stride 0 when every batch is the same matrix. */
    private static NDArray dense(NDArray x) {
        int[] sh = x.shape();
        if (sh[0] > 1 && x.strides()[0] == 0) {
            NDArray one = x.select(0, 0).contiguous();
            return new NDArray(one.storage(), sh.clone(), new int[] {0, sh[2], 1}, one.offset());
        }
        return x.contiguous();
    }

    /**
     * Copies the 2-D view {@code x} densely into {@code into} (a FloatBuffer or DoubleBuffer):
     * row-major when its rows are contiguous, else column-major (returns true: BLAS transposes)
     * when its columns are, else through a contiguous copy.
     */
    private static boolean stage(NDArray x, Buffer into) {
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
            put(x, off, 0, lines * len, into);
        } else {
            for (int l = 0; l < lines; l++) {
                put(x, off + l * stride, l * len, len, into);
            }
        }
        Reference.reachabilityFence(x); // a contiguous copy read through its bare array (Note [Storage arrays])
        return trans;
    }

    private static void put(NDArray x, int from, int to, int count, Buffer into) {
        if (into instanceof FloatBuffer fb) {
            fb.put(to, x.storage().floats(), from, count);
        } else {
            ((DoubleBuffer) into).put(to, x.storage().doubles(), from, count);
        }
    }

    /** Copies the dense row-major result out of the staging buffer into {@code c}. */
    private static void unstage(Buffer from, NDArray c) {
        int[] sh = c.shape();
        int[] st = c.strides();
        int m = sh[0];
        int n = sh[1];
        if (st[1] == 1 || n == 1) {
            int stride = st[0];
            if (stride == n || m == 1) {
                get(from, 0, c, c.offset(), m * n);
            } else {
                for (int i = 0; i < m; i++) {
                    get(from, i * n, c, c.offset() + i * stride, n);
                }
            }
            return;
        }
        NDArray dense = NDArray.empty(c.dtype(), m, n);
        get(from, 0, dense, dense.offset(), m * n);
        c.backend().copy(dense, c);
    }

    private static void get(Buffer staged, int from, NDArray c, int to, int count) {
        if (staged instanceof FloatBuffer fb) {
            fb.get(from, c.storage().floats(), to, count);
        } else {
            ((DoubleBuffer) staged).get(from, c.storage().doubles(), to, count);
        }
    }

    /** One thread's off-heap operand buffers: slots 0, 1, 2 for A, B, C, per dtype. */
    private static final class Staging {
        private final FloatPointer[] floats = new FloatPointer[3];
        private final FloatBuffer[] floatBuffers = new FloatBuffer[3];
        private final DoublePointer[] doubles = new DoublePointer[3];
        private final DoubleBuffer[] doubleBuffers = new DoubleBuffer[3];

        /** Slot {@code slot}'s buffer of at least {@code n} elements, FLOAT32 or FLOAT64. */
        Pointer pointer(boolean f32, int slot, long n) {
            return f32 ? floats(slot, n) : doubles(slot, n);
        }

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

        /** The buffer view of slot {@code slot}'s pointer, after {@link #pointer} sized it. */
        Buffer buffer(boolean f32, int slot) {
            return f32 ? floatBuffers[slot] : doubleBuffers[slot];
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
