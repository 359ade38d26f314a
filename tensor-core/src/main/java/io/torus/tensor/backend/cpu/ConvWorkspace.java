package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Scratch memory of the convolution kernels, one per thread and dtype, allocated on first use,
 * grown on demand and then reused by every later call: heap buffers for data movement
 * ({@link Buffer}), and the three operands of {@code C = op(A) · op(B)} ({@link Operand}), which
 * live in native memory when OpenBLAS is loaded and in heap arrays (multiplied by plain Java
 * loops) when it is not.
 *
 * <p>Note [Native GEMM operands]: handing bytedeco's cblas a heap array ({@code FloatBuffer.wrap})
 * makes JavaCPP copy the <em>whole</em> backing array in and back out on every call, whatever
 * slice the GEMM reads. A LeNet conv layer done as 64 per-sample sgemm calls straight on views of
 * the batch's arrays measured ~60 ms instead of ~0.4 ms. Here every operand is filled with one
 * memcpy of exactly the elements it needs, into native memory that stays allocated; the column
 * matrix is written there row by row through an NIO view ({@link #write}), not built on the heap
 * and copied over (that second copy cost ~0.1 ms of each LeNet conv layer's forward and
 * weight-gradient pass).
 *
 * <p>With the pinned BLAS library ({@link PinnedBlas}) the operands are heap arrays like those of
 * the Java fallback and OpenBLAS reads them in place: the copy into native memory disappears.
 * {@link Gemm} names the three ways.
 *
 * <p>Buffers hold float[] or double[] (by dtype), typed {@code Object} so that the kernels that
 * only move data are written once; {@link #copy}, {@link #add} and {@link #fill} are the only
 * places that look at the element type.
 */
final class ConvWorkspace {
    private static final ThreadLocal<ConvWorkspace[]> PER_THREAD = ThreadLocal.withInitial(() -> new ConvWorkspace[2]);

    /** Heap buffers, each reused for one purpose within a call. */
    enum Buffer { COLUMNS, RESULT, PLANE, SMALL }

    /** The GEMM operands. */
    enum Operand { A, B, C }

    /** Who multiplies: OpenBLAS on native copies, OpenBLAS on the heap operands pinned, or Java loops on them. */
    enum Gemm { STAGED, PINNED, JAVA }

    private final DType dtype;
    private final Gemm gemm;
    /** Operands in native memory ({@link Gemm#STAGED}); else in {@link #heapOperands}. */
    private final boolean nativeBlas;
    private final Object[] buffers = new Object[Buffer.values().length];
    private final Pointer[] pointers = new Pointer[Operand.values().length];
    /** NIO views of {@link #pointers} (native byte order), for writes at an offset without a JNI call. */
    private final java.nio.Buffer[] views = new java.nio.Buffer[Operand.values().length];
    private final Object[] heapOperands = new Object[Operand.values().length];

    ConvWorkspace(DType dtype, Gemm gemm) {
        if (dtype != DType.FLOAT32 && dtype != DType.FLOAT64) {
            throw new IllegalArgumentException("convolution workspace: FLOAT32 or FLOAT64 expected, got " + dtype);
        }
        this.dtype = dtype;
        this.gemm = gemm;
        this.nativeBlas = gemm == Gemm.STAGED;
    }

    /** This thread's workspace for {@code dtype}: pinned BLAS, else staged BLAS, else Java, whichever is available. */
    static ConvWorkspace forThread(DType dtype) {
        ConvWorkspace[] mine = PER_THREAD.get();
        int slot = dtype == DType.FLOAT64 ? 1 : 0;
        Gemm want = PinnedBlas.available() ? Gemm.PINNED : OpenBlas.available() ? Gemm.STAGED : Gemm.JAVA;
        if (mine[slot] == null || mine[slot].gemm != want) {
            mine[slot] = new ConvWorkspace(dtype, want);
        }
        return mine[slot];
    }

    DType dtype() {
        return dtype;
    }

    Gemm gemm() {
        return gemm;
    }

    /** A heap buffer of at least {@code size} elements; its contents are whatever the last user left. */
    Object buffer(Buffer which, int size) {
        Object b = buffers[which.ordinal()];
        if (b == null || java.lang.reflect.Array.getLength(b) < size) {
            b = newArray(grow(b == null ? 0 : java.lang.reflect.Array.getLength(b), size));
            buffers[which.ordinal()] = b;
        }
        return b;
    }

    private Object newArray(int size) {
        return dtype == DType.FLOAT32 ? new float[size] : new double[size];
    }

    private static int grow(int have, int need) {
        return (int) Math.min(Integer.MAX_VALUE - 8, Math.max(need, have + (long) have / 2));
    }

    // ------------------------------------------------------------ GEMM operands

    /** Copies {@code n} elements of {@code src} from {@code off} into operand {@code op}. */
    void put(Operand op, Object src, int off, int n) {
        if (nativeBlas) {
            Pointer p = pointer(op, n);
            if (p instanceof FloatPointer f) {
                f.put((float[]) src, off, n);
            } else {
                ((DoublePointer) p).put((double[]) src, off, n);
            }
        } else {
            System.arraycopy(src, off, heapOperand(op, n), 0, n);
        }
    }

    /** Copies the first {@code n} elements of operand {@code op} into {@code dst} at {@code off}. */
    void get(Operand op, Object dst, int off, int n) {
        if (nativeBlas) {
            Pointer p = pointers[op.ordinal()];
            if (p instanceof FloatPointer f) {
                f.get((float[]) dst, off, n);
            } else {
                ((DoublePointer) p).get((double[]) dst, off, n);
            }
        } else {
            System.arraycopy(heapOperands[op.ordinal()], 0, dst, off, n);
        }
    }

    /**
     * The first {@code n} elements of operand C as a heap array to read from: C itself when the
     * operands live on the heap, else a copy in buffer {@link Buffer#RESULT}.
     */
    Object result(int n) {
        if (!nativeBlas) {
            return heapOperands[Operand.C.ordinal()];
        }
        Object r = buffer(Buffer.RESULT, n);
        get(Operand.C, r, 0, n);
        return r;
    }

    /**
     * Makes operand {@code op} hold at least {@code n} elements, for {@link #write} and
     * {@link #fill(Operand, int, int, double)}; its contents are undefined until written.
     */
    void reserve(Operand op, int n) {
        if (nativeBlas) {
            pointer(op, n);
        } else {
            heapOperand(op, n);
        }
    }

    /**
     * Copies {@code n} elements of {@code src} from {@code off} into operand {@code op} at
     * {@code at}, which must lie within what {@link #reserve} made room for. Lets im2col write
     * the column matrix straight into the GEMM operand (Note [Native GEMM operands]).
     */
    void write(Operand op, int at, Object src, int off, int n) {
        if (!nativeBlas) {
            System.arraycopy(src, off, heapOperands[op.ordinal()], at, n);
        } else if (src instanceof float[] f) {
            ((FloatBuffer) views[op.ordinal()]).put(at, f, off, n);
        } else {
            ((DoubleBuffer) views[op.ordinal()]).put(at, (double[]) src, off, n);
        }
    }

    /** Sets {@code n} elements of operand {@code op} from {@code at} to {@code v} (within what {@link #reserve} made room for). */
    void fill(Operand op, int at, int n, double v) {
        if (!nativeBlas) {
            fill(heapOperands[op.ordinal()], at, n, v);
        } else if (views[op.ordinal()] instanceof FloatBuffer f) {
            for (int i = 0; i < n; i++) {
                f.put(at + i, (float) v);
            }
        } else {
            DoubleBuffer d = (DoubleBuffer) views[op.ordinal()];
            for (int i = 0; i < n; i++) {
                d.put(at + i, v);
            }
        }
    }

    /**
     * {@code C [m, n] = op(A) · op(B)}, plus the old C when {@code accumulate}. All three are
     * packed row-major: A is {@code [m, k]} ({@code [k, m]} when {@code ta}), B is {@code [k, n]}
     * ({@code [n, k]} when {@code tb}).
     */
    void gemm(boolean ta, boolean tb, int m, int n, int k, boolean accumulate) {
        if (!accumulate) {
            reserve(Operand.C, m * n);
        }
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (!accumulate) {
                fillOperandC(m * n);
            }
            return;
        }
        if (nativeBlas) {
            nativeGemm(ta, tb, m, n, k, accumulate);
        } else if (gemm == Gemm.PINNED) {
            pinnedGemm(ta, tb, m, n, k, accumulate);
        } else if (dtype == DType.FLOAT32) {
            javaGemm(ta, tb, m, n, k, accumulate, (float[]) heapOperands[0], (float[]) heapOperands[1], (float[]) heapOperands[2]);
        } else {
            javaGemm(ta, tb, m, n, k, accumulate, (double[]) heapOperands[0], (double[]) heapOperands[1], (double[]) heapOperands[2]);
        }
    }

    private void nativeGemm(boolean ta, boolean tb, int m, int n, int k, boolean accumulate) {
        final int rowMajor = 101;
        final int noTrans = 111;
        final int trans = 112;
        int lda = Math.max(1, ta ? m : k);
        int ldb = Math.max(1, tb ? k : n);
        if (dtype == DType.FLOAT32) {
            openblas_nolapack.cblas_sgemm(rowMajor, ta ? trans : noTrans, tb ? trans : noTrans, m, n, k, 1f,
                    (FloatPointer) pointers[0], lda, (FloatPointer) pointers[1], ldb, accumulate ? 1f : 0f,
                    (FloatPointer) pointers[2], n);
        } else {
            openblas_nolapack.cblas_dgemm(rowMajor, ta ? trans : noTrans, tb ? trans : noTrans, m, n, k, 1d,
                    (DoublePointer) pointers[0], lda, (DoublePointer) pointers[1], ldb, accumulate ? 1d : 0d,
                    (DoublePointer) pointers[2], n);
        }
    }

    private void pinnedGemm(boolean ta, boolean tb, int m, int n, int k, boolean accumulate) {
        PinnedBlas.gemm(1, m, n, k,
                new PinnedBlas.Operand(heapOperands[0], 0, 0, Math.max(1, ta ? m : k), ta),
                new PinnedBlas.Operand(heapOperands[1], 0, 0, Math.max(1, tb ? k : n), tb),
                accumulate ? 1 : 0, new PinnedBlas.Operand(heapOperands[2], 0, 0, Math.max(1, n), false));
    }

    private void fillOperandC(int n) {
        if (nativeBlas) {
            Pointer.memset(pointers[2], 0, (long) n * dtype.byteSize());
        } else {
            fill(heapOperands[2], 0, n, 0);
        }
    }

    private Pointer pointer(Operand op, int n) {
        Pointer p = pointers[op.ordinal()];
        if (p == null || p.capacity() < n) {
            long size = grow(p == null ? 0 : (int) p.capacity(), Math.max(n, 1));
            if (p != null) {
                p.close();
            }
            p = dtype == DType.FLOAT32 ? new FloatPointer(size) : new DoublePointer(size);
            pointers[op.ordinal()] = p;
            views[op.ordinal()] = p instanceof FloatPointer f ? f.asBuffer() : ((DoublePointer) p).asBuffer();
        }
        return p;
    }

    private Object heapOperand(Operand op, int n) {
        Object a = heapOperands[op.ordinal()];
        if (a == null || java.lang.reflect.Array.getLength(a) < n) {
            a = newArray(grow(a == null ? 0 : java.lang.reflect.Array.getLength(a), n));
            heapOperands[op.ordinal()] = a;
        }
        return a;
    }

    /** The fallback when native BLAS cannot load: i-p-j loops, so the innermost runs along B's and C's rows. */
    private static void javaGemm(boolean ta, boolean tb, int m, int n, int k, boolean accumulate, float[] a, float[] b,
                                 float[] c) {
        if (!accumulate) {
            Arrays.fill(c, 0, m * n, 0f);
        }
        int ars = ta ? 1 : k;
        int acs = ta ? m : 1;
        int brs = tb ? 1 : n;
        int bcs = tb ? k : 1;
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                float av = a[i * ars + p * acs];
                int bo = p * brs;
                int co = i * n;
                for (int j = 0; j < n; j++) {
                    c[co + j] += av * b[bo + j * bcs];
                }
            }
        }
    }

    private static void javaGemm(boolean ta, boolean tb, int m, int n, int k, boolean accumulate, double[] a, double[] b,
                                 double[] c) {
        if (!accumulate) {
            Arrays.fill(c, 0, m * n, 0d);
        }
        int ars = ta ? 1 : k;
        int acs = ta ? m : 1;
        int brs = tb ? 1 : n;
        int bcs = tb ? k : 1;
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double av = a[i * ars + p * acs];
                int bo = p * brs;
                int co = i * n;
                for (int j = 0; j < n; j++) {
                    c[co + j] += av * b[bo + j * bcs];
                }
            }
        }
    }

    // ------------------------------------------------------------ data movement on float[] / double[]

    /** {@code dst[dstOff + i] = src[srcOff + i * srcStride]} for {@code i < n}. */
    static void copy(Object src, int srcOff, int srcStride, Object dst, int dstOff, int n) {
        if (srcStride == 1) {
            System.arraycopy(src, srcOff, dst, dstOff, n);
        } else if (src instanceof float[] s) {
            float[] d = (float[]) dst;
            for (int i = 0; i < n; i++) {
                d[dstOff + i] = s[srcOff + i * srcStride];
            }
        } else {
            double[] s = (double[]) src;
            double[] d = (double[]) dst;
            for (int i = 0; i < n; i++) {
                d[dstOff + i] = s[srcOff + i * srcStride];
            }
        }
    }

    /** {@code dst[dstOff + i * dstStride] += src[srcOff + i]} for {@code i < n}; vectorised when the stride is 1. */
    static void add(Object src, int srcOff, Object dst, int dstOff, int dstStride, int n) {
        if (src instanceof float[] s) {
            float[] d = (float[]) dst;
            if (dstStride == 1 && VectorApi.ENABLED) {
                // C2 leaves this loop scalar (Note [Vectorized arithmetic] in VectorKernels)
                VectorKernels.addInto(n, s, srcOff, d, dstOff);
            } else if (dstStride == 1) {
                for (int i = 0; i < n; i++) {
                    d[dstOff + i] += s[srcOff + i];
                }
            } else {
                for (int i = 0; i < n; i++) {
                    d[dstOff + i * dstStride] += s[srcOff + i];
                }
            }
        } else {
            double[] s = (double[]) src;
            double[] d = (double[]) dst;
            for (int i = 0; i < n; i++) {
                d[dstOff + i * dstStride] += s[srcOff + i];
            }
        }
    }

    static void fill(Object dst, int off, int n, double v) {
        if (dst instanceof float[] d) {
            Arrays.fill(d, off, off + n, (float) v);
        } else {
            Arrays.fill((double[]) dst, off, off + n, v);
        }
    }

    static void set(Object dst, int i, double v) {
        if (dst instanceof float[] d) {
            d[i] = (float) v;
        } else {
            ((double[]) dst)[i] = v;
        }
    }

    static double get(Object src, int i) {
        return src instanceof float[] s ? s[i] : ((double[]) src)[i];
    }
}
