package io.torus.tensor.backend.cpu;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * GEMM straight on Java {@code float[]} / {@code double[]}: a small JNI library of ours
 * ({@code libtorus_blas.so}, built from {@code src/main/native/torus_blas.c} when the build finds a
 * C compiler and the JDK's headers) that pins the arrays and calls OpenBLAS on them.
 *
 * <p>Note [Pinned operands]: Torus keeps tensors in Java arrays, and BLAS needs their addresses.
 * Without this library every product copies its operands into off-heap buffers and the result
 * back ({@link OpenBlas}, Note [Staged operands]), which held sgemm to 0.5-0.85 of the direct
 * off-heap call at n = 256..2048. {@code GetPrimitiveArrayCritical} hands native code the array's
 * own address (HotSpot does not copy) for as long as the critical region lasts; the library pins
 * A, B and C, runs the GEMM(s), and unpins. Costs and rules that follow:
 * <ul>
 *   <li>While a thread is inside the region the collector cannot move objects: G1 (JDK 17) delays
 *       a collection that another thread needs until the region ends. So one critical region is
 *       kept to about {@link #MAX_FLOP_PER_CALL} floating-point operations (tens of milliseconds
 *       at most; the products of an MLP or LeNet step take well under one):
 *       {@link #gemm} splits a bigger product into batches and row panels of C, each its own call.
 *       Inside a region the C code makes no JNI call and allocates nothing.</li>
 *   <li>The C code trusts its arguments, so every offset, stride and leading dimension is
 *       checked here against the arrays' lengths first ({@link #checkFits}): a wrong one would
 *       corrupt the heap, not throw.</li>
 *   <li>The library is not linked against any BLAS: Java looks up {@code cblas_sgemm} and
 *       {@code cblas_dgemm} in the OpenBLAS that bytedeco has already loaded
 *       ({@link Loader#addressof}) and passes the function pointers in, so both paths run the very
 *       same library and kernels, with the thread count {@link OpenBlas} gave it.</li>
 * </ul>
 *
 * <p>When the library is missing (no C compiler at build time, another platform), fails to load,
 * or {@code -Dtorus.blas.pinned=false} turns it off, {@link #available()} is false, one INFO line
 * says why, and {@link OpenBlas} stages the operands as before.
 *
 * <p>Note [Two GEMM libraries]: oneDNN's {@code dnnl_sgemm} (Debian's {@code libdnnl2}, which
 * python3-torch also brings) runs the FLOAT32 products of a training step much faster than
 * OpenBLAS 0.3.31 on this AVX-512 machine, the same process taking turns, 1 thread: LeNet's conv
 * GEMMs ([6, 25] x [25, 36864] and the like) 2.0-2.5x, an MLP's [256, 784] x [784, 256]^T
 * 1.15-1.35x, n = 1024 squares 1.3x. Below about a million multiply-adds its fixed cost loses
 * (16^3: 18 against 106 GFLOP/s; [64, 128] x [128, 10]: 74 against 119). So FLOAT32 products of
 * at least {@link #ONEDNN_MIN_MNK} m·n·k go to oneDNN where it loads, the rest (and all FLOAT64
 * ones: oneDNN has no dgemm) to OpenBLAS. The library adapts {@code dnnl_sgemm} (row-major, like
 * Torus) to cblas's signature, so pinning, splitting and bounds checks are shared. The two
 * libraries sum in different orders: the same product may differ in the last bits between a
 * machine with oneDNN and one without, never between runs on one machine.
 * {@code torus.blas.onednn}: {@code auto} (default: {@code libdnnl.so.2} where the dynamic linker
 * finds it), {@code off}, or the path of a oneDNN library.
 */
final class PinnedBlas {
    /** The setting that turns the pinned path off: {@code -Dtorus.blas.pinned=false}. */
    static final String SETTING = "torus.blas.pinned";
    /** auto, off or a library path: where FLOAT32 GEMMs may use oneDNN (Note [Two GEMM libraries]). */
    static final String ONEDNN_SETTING = "torus.blas.onednn";
    /** FLOAT32 products with at least this m·n·k go to oneDNN when it is loaded. */
    static final long ONEDNN_MIN_MNK = 1L << 20;
    /** The library's interface version; a library from an older build reports another one and is not used. */
    static final int VERSION = 3;
    /**
     * About this many FLOPs (some 50 ms at 150-200 GFLOP/s) run in one critical region at most.
     * Splitting is not free: OpenBLAS packs all of B again for every row panel of C. Measured at
     * n = 2048 (CPU time, into an existing output, against the direct off-heap call): 8 panels of
     * 256 rows 0.75x, 2 panels 0.95x or better; at n = 1024 2 panels 0.945x, one call 0.98-0.99x.
     */
    static final long MAX_FLOP_PER_CALL = 1L << 33;
    /** Row panels are at least this tall, so that splitting never makes OpenBLAS repack B too often. */
    static final int MIN_PANEL_ROWS = 512;
    static final int NO_TRANS = 111;
    static final int TRANS = 112;

    private static final System.Logger LOG = System.getLogger(PinnedBlas.class.getName());
    private static volatile State state;
    private static volatile boolean forcedOff;
    private static volatile boolean onednnForcedOff;
    private static volatile long onednnMinMnk = ONEDNN_MIN_MNK;

    /**
     * Whether the library is loaded and bound to OpenBLAS ({@code sgemm}, {@code dgemm}) and to
     * oneDNN ({@code onednnSgemm}, 0 without); why (not), fit for a log line.
     */
    record State(boolean loaded, long sgemm, long dgemm, long onednnSgemm, String reason) {
    }

    private PinnedBlas() {
    }

    /** Whether {@link #sgemm}/{@link #dgemm} can be used (OpenBLAS is loaded and so is our library). */
    static boolean available() {
        return !forcedOff && state().loaded();
    }

    /** The load result, loading on first use. */
    static State state() {
        State s = state;
        if (s == null) {
            synchronized (PinnedBlas.class) {
                if (state == null) {
                    state = load(System.getProperty(SETTING), System.getProperty(ONEDNN_SETTING, "auto"));
                    LOG.log(System.Logger.Level.INFO, "torus: " + state.reason());
                }
                s = state;
            }
        }
        return s;
    }

    /** Tests: turns the pinned path off (true) or back on; returns the previous value. */
    static boolean forceOffForTesting(boolean off) {
        boolean previous = forcedOff;
        forcedOff = off;
        return previous;
    }

    /** Tests and benchmarks: sends every product to OpenBLAS (true) or lets oneDNN take its share again. */
    static boolean forceOnednnOffForTesting(boolean off) {
        boolean previous = onednnForcedOff;
        onednnForcedOff = off;
        return previous;
    }

    /** Tests: the smallest m·n·k sent to oneDNN (0: all FLOAT32 products); returns the previous value. */
    static long onednnMinMnkForTesting(long min) {
        long previous = onednnMinMnk;
        onednnMinMnk = min;
        return previous;
    }

    /** Whether FLOAT32 products of {@link #ONEDNN_MIN_MNK} or more go to oneDNN. */
    static boolean onednnActive() {
        return available() && !onednnForcedOff && state().onednnSgemm() != 0;
    }

    /** Hands a new intra-op thread count to oneDNN, if it is loaded (OpenBLAS gets it from {@link OpenBlas}). */
    static void setThreads(int n) {
        State s = state;
        if (s != null && s.onednnSgemm() != 0) {
            onednn(null, n);
        }
    }

    /** The resource path of the library for this platform, as the build places it. */
    static String resource() {
        return "native/" + Loader.getPlatform() + "/" + System.mapLibraryName("torus_blas");
    }

    /**
     * Loads and binds the library, or says why not. {@code setting} is {@value #SETTING}'s value:
     * {@code "false"} turns the pinned path off; anything else (or null) leaves it on.
     */
    static State load(String setting, String onednnSetting) {
        if (setting != null && setting.trim().equalsIgnoreCase("false")) {
            return off(SETTING + "=false: BLAS operands are staged through off-heap buffers");
        }
        if (!OpenBlas.available()) {
            return off("native OpenBLAS is not loaded: no pinned BLAS path");
        }
        String res = resource();
        URL url = PinnedBlas.class.getClassLoader().getResource(res);
        if (url == null) {
            return off(res + " is not in this build (it needs a C compiler and the JDK's headers at build time):"
                    + " BLAS operands are staged through off-heap buffers");
        }
        try {
            Path file = localFile(url);
            System.load(file.toString());
            int v = version();
            if (v != VERSION) {
                return off(res + " has interface version " + v + ", expected " + VERSION + " (a stale build):"
                        + " BLAS operands are staged through off-heap buffers");
            }
            long s = address("cblas_sgemm");
            long d = address("cblas_dgemm");
            if (s == 0 || d == 0) {
                return off("cblas_sgemm/cblas_dgemm not found in the loaded OpenBLAS: BLAS operands are staged");
            }
            String pinned = "pinned BLAS: " + res + " calls OpenBLAS on the Java arrays themselves";
            String mode = onednnSetting == null ? "auto" : onednnSetting.trim();
            if (mode.equals("off")) {
                return new State(true, s, d, 0, pinned + "; " + ONEDNN_SETTING + "=off: every GEMM is OpenBLAS's");
            }
            String lib = mode.equals("auto") ? null : mode;
            long o = onednn(lib, IntraOp.threads());
            String which = lib == null ? "libdnnl.so.2" : lib;
            return o == 0
                    ? new State(true, s, d, 0, pinned + "; oneDNN (" + which + ") not found, so every GEMM is OpenBLAS's"
                            + " (Debian: apt-get install libdnnl2 makes FLOAT32 training products up to 2x faster)")
                    : new State(true, s, d, o, pinned + ", and FLOAT32 products of " + ONEDNN_MIN_MNK
                            + "+ multiply-adds go to oneDNN (" + which + ")");
        } catch (IOException | URISyntaxException | LinkageError | RuntimeException e) {
            return off("cannot load " + res + " (" + e + "): BLAS operands are staged through off-heap buffers");
        }
    }

    private static State off(String reason) {
        return new State(false, 0, 0, 0, reason);
    }

    private static long address(String symbol) {
        Pointer p = Loader.addressof(symbol);
        return p == null ? 0 : p.address();
    }

    /** The library as a file: itself when the class path is a directory, else a copy out of the jar. */
    private static Path localFile(URL url) throws IOException, URISyntaxException {
        if ("file".equals(url.getProtocol())) {
            return Path.of(url.toURI());
        }
        Path tmp = Files.createTempFile("libtorus_blas", ".so");
        try (InputStream in = url.openStream()) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        tmp.toFile().deleteOnExit();
        return tmp;
    }

    // ------------------------------------------------------------ the calls

    /**
     * One operand as BLAS reads it: {@code array} from {@code offset}, batch {@code i} at
     * {@code offset + i * batchStride}, {@code rows x cols} row-major with leading dimension
     * {@code ld} as stored ({@code trans}: the stored matrix is the transpose of the operand).
     */
    record Operand(Object array, int offset, int batchStride, int ld, boolean trans) {
    }

    /**
     * {@code C_i = op(A_i) · op(B_i) + beta · C_i} for {@code i < batch}, {@code [m, k] x [k, n]},
     * split into calls of at most about {@link #MAX_FLOP_PER_CALL}. C is never transposed. The
     * arrays are float[] (sgemm) or double[] (dgemm); C must not share an array with A or B.
     */
    static void gemm(int batch, int m, int n, int k, Operand a, Operand b, double beta, Operand c) {
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        checkFits("A", a, batch, m, k);
        checkFits("B", b, batch, k, n);
        checkFits("C", c, batch, m, n);
        if (c.trans() || c.array() == a.array() || c.array() == b.array()) {
            throw new IllegalArgumentException("pinned gemm: C must be untransposed and apart from A and B");
        }
        long flopPerRow = 2L * n * Math.max(k, 1);
        long flopPerBatch = flopPerRow * m;
        if (flopPerBatch >= MAX_FLOP_PER_CALL) {
            int panel = (int) Math.min(m, Math.max(MIN_PANEL_ROWS, MAX_FLOP_PER_CALL / flopPerRow));
            for (int i = 0; i < batch; i++) {
                for (int r = 0; r < m; r += panel) {
                    int rows = Math.min(panel, m - r);
                    int aOff = a.offset() + i * a.batchStride() + (a.trans() ? r : r * a.ld());
                    int cOff = c.offset() + i * c.batchStride() + r * c.ld();
                    call(1, rows, n, k, a, aOff, b, b.offset() + i * b.batchStride(), beta, c, cOff);
                }
            }
            return;
        }
        int group = (int) Math.min(batch, Math.max(1, MAX_FLOP_PER_CALL / Math.max(1, flopPerBatch)));
        for (int i = 0; i < batch; i += group) {
            int nb = Math.min(group, batch - i);
            call(nb, m, n, k, a, a.offset() + i * a.batchStride(), b, b.offset() + i * b.batchStride(), beta, c,
                    c.offset() + i * c.batchStride());
        }
    }

    private static void call(int batch, int m, int n, int k, Operand a, int aOff, Operand b, int bOff, double beta,
                             Operand c, int cOff) {
        State s = state();
        int ta = a.trans() ? TRANS : NO_TRANS;
        int tb = b.trans() ? TRANS : NO_TRANS;
        boolean ok;
        if (c.array() instanceof float[] cf) {
            boolean onednn = (long) m * n * k >= onednnMinMnk && s.onednnSgemm() != 0 && !onednnForcedOff;
            int status = sgemm(onednn ? s.onednnSgemm() : s.sgemm(), batch, ta, tb, m, n, k, 1f, (float[]) a.array(),
                    aOff, a.batchStride(), a.ld(), (float[]) b.array(), bOff, b.batchStride(), b.ld(), (float) beta, cf,
                    cOff, c.batchStride(), c.ld());
            if (status == 2) {
                throw new IllegalStateException("oneDNN's dnnl_sgemm failed on a " + batch + " x [" + m + ", " + k
                        + "] x [" + k + ", " + n + "] product (" + ONEDNN_SETTING + "=off sends GEMMs to OpenBLAS)");
            }
            ok = status == 0;
        } else {
            ok = dgemm(s.dgemm(), batch, ta, tb, m, n, k, 1d, (double[]) a.array(), aOff, a.batchStride(), a.ld(),
                    (double[]) b.array(), bOff, b.batchStride(), b.ld(), beta, (double[]) c.array(), cOff,
                    c.batchStride(), c.ld());
        }
        if (!ok) {
            throw new OutOfMemoryError("pinned gemm: the JVM could not pin the operand arrays");
        }
    }

    /**
     * Throws unless every element BLAS will touch of operand {@code x} ({@code batch} matrices
     * {@code rows x cols} as the product sees them) lies inside its array.
     */
    static void checkFits(String name, Operand x, int batch, int rows, int cols) {
        int storedRows = x.trans() ? cols : rows;
        int storedCols = x.trans() ? rows : cols;
        int length = java.lang.reflect.Array.getLength(x.array());
        if (storedRows == 0 || storedCols == 0) {
            return;
        }
        long last = x.offset() + (long) (batch - 1) * x.batchStride() + (long) (storedRows - 1) * x.ld() + storedCols - 1;
        if (x.offset() < 0 || x.batchStride() < 0 || x.ld() < Math.max(1, storedCols) || last >= length) {
            throw new IllegalArgumentException("pinned gemm: operand " + name + " " + x + " as " + batch + " x "
                    + storedRows + " x " + storedCols + " does not fit its array of " + length + " elements");
        }
    }

    // ------------------------------------------------------------ native (torus_blas.c)

    private static native int version();

    private static native long onednn(String library, int threads);

    /** {@code C = A·B}, row-major {@code [m, k] x [k, n]}, on native memory at addresses {@code a}, {@code b}, {@code c}. */
    static void sgemmAt(boolean onednn, int m, int n, int k, long a, long b, long c) {
        State s = state();
        long fn = onednn ? s.onednnSgemm() : s.sgemm();
        if (!s.loaded() || fn == 0) {
            throw new IllegalStateException((onednn ? "oneDNN" : "pinned BLAS") + " is not loaded: " + s.reason());
        }
        if (sgemmAt(fn, m, n, k, a, b, c) != 0) {
            throw new IllegalStateException("oneDNN's dnnl_sgemm failed on [" + m + ", " + k + "] x [" + k + ", " + n + "]");
        }
    }

    private static native int sgemmAt(long fn, int m, int n, int k, long a, long b, long c);

    /**
     * Diagnostics: the byte of its 64-byte cache line at which element 0 of {@code array} (a
     * primitive array) lies now, or -1 without the native library (Note [Aligned storages] in
     * {@code io.torus.tensor.ArrayAlignment}).
     */
    static int lineOffset(Object array) {
        return state().loaded() ? lineOffset0(array) : -1;
    }

    private static native int lineOffset0(Object array);

    private static native int sgemm(long fn, int batch, int ta, int tb, int m, int n, int k, float alpha,
                                        float[] a, int aOff, int aBatch, int lda, float[] b, int bOff, int bBatch,
                                        int ldb, float beta, float[] c, int cOff, int cBatch, int ldc);

    private static native boolean dgemm(long fn, int batch, int ta, int tb, int m, int n, int k, double alpha,
                                        double[] a, int aOff, int aBatch, int lda, double[] b, int bOff, int bBatch,
                                        int ldb, double beta, double[] c, int cOff, int cBatch, int ldc);
}
