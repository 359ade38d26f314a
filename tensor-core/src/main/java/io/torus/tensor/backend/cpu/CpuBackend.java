package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.Device;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.Storage;
import io.torus.tensor.backend.Backend;
import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.Conv2dParams;
import io.torus.tensor.op.Pool2dParams;
import io.torus.tensor.op.ReduceOp;
import io.torus.tensor.op.UnaryOp;

/**
 * The CPU backend: Java loops over strided arrays, with fast paths for the ops a training step
 * spends its time in ({@link FastPaths}: contiguous, bias-row and scalar FLOAT32/FLOAT64 operands,
 * straight loops and Vector API kernels), and matrix products through native OpenBLAS (the Vector
 * API {@link VectorGemm} when it cannot load, naive loops for integers). Other dtypes go through a
 * generic path that reads and writes doubles (longs for INT64 copies), which is exact for every
 * value FLOAT64 can hold.
 */
public final class CpuBackend implements Backend {

    /** Intra-op threads: {@code torus.intraop.threads} or {@code TORUS_NUM_THREADS}, default 1. */
    static int intraOpThreads() {
        String v = System.getProperty("torus.intraop.threads", System.getenv("TORUS_NUM_THREADS"));
        try {
            return v == null ? 1 : Math.max(1, Integer.parseInt(v.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("torus.intraop.threads=" + v + ": expected a positive integer");
        }
    }

    /** Whether matmul goes through native OpenBLAS (false: the pure-Java fallback). */
    public static boolean nativeBlas() {
        return OpenBlas.available();
    }

    /**
     * How native BLAS gets its operands, for logs and benchmarks: "pinned" (on the Java arrays
     * themselves, {@code libtorus_blas.so}), "staged" (copied through off-heap buffers) or "none".
     */
    public static String blasOperands() {
        return !OpenBlas.available() ? "none" : PinnedBlas.available() ? "pinned" : "staged";
    }

    /** What the native GEMM path loaded and why, as its INFO line says (libraries, pinning, oneDNN). */
    public static String gemmLibraries() {
        return OpenBlas.available() ? PinnedBlas.state().reason() : "no native OpenBLAS: the Java matmul";
    }

    /** Whether large FLOAT32 products go to oneDNN (Note [Two GEMM libraries] in {@code PinnedBlas}). */
    public static boolean onednnGemm() {
        return OpenBlas.available() && PinnedBlas.onednnActive();
    }

    /**
     * For benchmarks: one row-major {@code C = A·B}, {@code [n, n] x [n, n]}, on native memory at
     * the given addresses, by oneDNN ({@code onednn}) or OpenBLAS through Torus's JNI library,
     * without Java arrays in between. Throws when that library is not loaded.
     */
    public static void nativeSgemm(boolean onednn, int n, long a, long b, long c) {
        if (!OpenBlas.available()) {
            throw new IllegalStateException("native OpenBLAS is not loaded");
        }
        PinnedBlas.sgemmAt(onednn, n, n, n, a, b, c);
    }

    @Override
    public Device.Type deviceType() {
        return Device.Type.CPU;
    }

    @Override
    public Storage allocate(DType dtype, long size) {
        return Storage.allocate(dtype, size);
    }

    @Override
    public Storage allocateUninitialized(DType dtype, long size) {
        return Storage.allocateUninitialized(dtype, size);
    }

    // ------------------------------------------------------------ element access for generic paths

    private static double load(Storage s, int i) {
        return switch (s.dtype()) {
            case FLOAT32 -> s.floats()[i];
            case FLOAT64 -> s.doubles()[i];
            case INT64 -> s.longs()[i];
            case INT32 -> s.ints()[i];
            case BOOL -> s.bools()[i] ? 1 : 0;
        };
    }

    private static void store(Storage s, int i, double v) {
        switch (s.dtype()) {
            case FLOAT32 -> s.floats()[i] = (float) v;
            case FLOAT64 -> s.doubles()[i] = v;
            case INT64 -> s.longs()[i] = (long) v;
            case INT32 -> s.ints()[i] = (int) v;
            case BOOL -> s.bools()[i] = v != 0;
        }
    }

    // ------------------------------------------------------------ copy and fill

    @Override
    public void copy(NDArray src, NDArray dst) {
        Storage s = src.storage();
        Storage d = dst.storage();
        if (s.dtype() == d.dtype() && s.dtype() != DType.BOOL) {
            Object sa = s.array();
            Object da = d.array();
            StridedLoop.forEach(src, dst, (n, os, ss, od, sd) -> {
                if (ss == 1 && sd == 1) {
                    System.arraycopy(sa, os, da, od, n);
                } else if (s.dtype() == DType.FLOAT32) {
                    float[] x = (float[]) sa;
                    float[] y = (float[]) da;
                    for (int i = 0; i < n; i++) {
                        y[od + i * sd] = x[os + i * ss];
                    }
                } else if (s.dtype() == DType.INT64) {
                    long[] x = (long[]) sa;
                    long[] y = (long[]) da;
                    for (int i = 0; i < n; i++) {
                        y[od + i * sd] = x[os + i * ss];
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        store(d, od + i * sd, load(s, os + i * ss));
                    }
                }
            });
            return;
        }
        if (s.dtype() == DType.INT64 && d.dtype() == DType.INT32) {
            long[] x = s.longs();
            int[] y = d.ints();
            StridedLoop.forEach(src, dst, (n, os, ss, od, sd) -> {
                for (int i = 0; i < n; i++) {
                    y[od + i * sd] = (int) x[os + i * ss];
                }
            });
            return;
        }
        StridedLoop.forEach(src, dst, (n, os, ss, od, sd) -> {
            for (int i = 0; i < n; i++) {
                store(d, od + i * sd, load(s, os + i * ss));
            }
        });
    }

    @Override
    public void fill(NDArray out, double value) {
        Storage d = out.storage();
        StridedLoop.forEach(out, out, (n, o, s, o2, s2) -> {
            if (d.dtype() == DType.FLOAT32 && s == 1) {
                java.util.Arrays.fill(d.floats(), o, o + n, (float) value);
            } else {
                for (int i = 0; i < n; i++) {
                    store(d, o + i * s, value);
                }
            }
        });
    }

    // ------------------------------------------------------------ elementwise

    @Override
    public void unary(UnaryOp op, NDArray x, NDArray out) {
        if (FastPaths.unary(op, x, out)) {
            return;
        }
        Storage xs = x.storage();
        Storage os = out.storage();
        if (xs.dtype() == DType.FLOAT32 && os.dtype() == DType.FLOAT32) {
            float[] a = xs.floats();
            float[] c = os.floats();
            StridedLoop.forEach(x, out, (n, oa, sa, oc, sc) -> {
                if (sa == 1 && sc == 1) {
                    FloatKernels.unary(op, n, a, oa, c, oc);
                    return;
                }
                switch (op) {
                    case NEG -> {
                        for (int i = 0; i < n; i++) {
                            c[oc + i * sc] = -a[oa + i * sa];
                        }
                    }
                    case RELU -> {
                        for (int i = 0; i < n; i++) {
                            float v = a[oa + i * sa];
                            c[oc + i * sc] = v > 0 ? v : 0f;
                        }
                    }
                    default -> {
                        for (int i = 0; i < n; i++) {
                            c[oc + i * sc] = (float) op.apply(a[oa + i * sa]);
                        }
                    }
                }
            });
            return;
        }
        StridedLoop.forEach(x, out, (n, oa, sa, oc, sc) -> {
            for (int i = 0; i < n; i++) {
                store(os, oc + i * sc, op.apply(load(xs, oa + i * sa)));
            }
        });
    }

    @Override
    public void binary(BinaryOp op, NDArray a, NDArray b, NDArray out) {
        if (FastPaths.binary(op, a, b, out)) {
            return;
        }
        Storage as = a.storage();
        Storage bs = b.storage();
        Storage cs = out.storage();
        if (as.dtype() == DType.FLOAT32 && bs.dtype() == DType.FLOAT32 && cs.dtype() == DType.FLOAT32) {
            float[] x = as.floats();
            float[] y = bs.floats();
            float[] z = cs.floats();
            StridedLoop.forEach(a, b, out, (n, oa, sa, ob, sb, oc, sc) -> binaryFloatRow(op, n, x, oa, sa, y, ob, sb, z, oc, sc));
            return;
        }
        if (as.dtype() == DType.INT64 && bs.dtype() == DType.INT64) {
            binaryInt64(op, a, b, out);
            return;
        }
        StridedLoop.forEach(a, b, out, (n, oa, sa, ob, sb, oc, sc) -> {
            for (int i = 0; i < n; i++) {
                store(cs, oc + i * sc, op.apply(load(as, oa + i * sa), load(bs, ob + i * sb)));
            }
        });
    }

    @Override
    public void axpby(double alpha, NDArray a, double beta, NDArray b, NDArray out) {
        if (!FastPaths.axpby(alpha, a, beta, b, out)) {
            Backend.super.axpby(alpha, a, beta, b, out);
        }
    }

    /** INT64 operands in exact long arithmetic (doubles would lose bits above 2^53). */
    private static void binaryInt64(BinaryOp op, NDArray a, NDArray b, NDArray out) {
        long[] x = a.storage().longs();
        long[] y = b.storage().longs();
        Storage cs = out.storage();
        StridedLoop.forEach(a, b, out, (n, oa, sa, ob, sb, oc, sc) -> {
            for (int i = 0; i < n; i++) {
                long r = op.apply(x[oa + i * sa], y[ob + i * sb]);
                if (cs.dtype() == DType.INT64) {
                    cs.longs()[oc + i * sc] = r;
                } else {
                    store(cs, oc + i * sc, r);
                }
            }
        });
    }

    private static void binaryFloatRow(BinaryOp op, int n, float[] x, int oa, int sa, float[] y, int ob, int sb,
                                       float[] z, int oc, int sc) {
        if (sc == 1 && FloatKernels.supports(op)) {
            if (sa == 1 && sb == 1) {
                FloatKernels.binary(op, n, x, oa, y, ob, z, oc);
                return;
            }
            if (sa == 1 && sb == 0) {
                FloatKernels.binaryScalar(op, n, x, oa, y[ob], false, z, oc);
                return;
            }
            if (sa == 0 && sb == 1) {
                FloatKernels.binaryScalar(op, n, y, ob, x[oa], true, z, oc);
                return;
            }
        }
        switch (op) {
            case ADD -> {
                for (int i = 0; i < n; i++) {
                    z[oc + i * sc] = x[oa + i * sa] + y[ob + i * sb];
                }
            }
            case SUB -> {
                for (int i = 0; i < n; i++) {
                    z[oc + i * sc] = x[oa + i * sa] - y[ob + i * sb];
                }
            }
            case MUL -> {
                for (int i = 0; i < n; i++) {
                    z[oc + i * sc] = x[oa + i * sa] * y[ob + i * sb];
                }
            }
            case DIV -> {
                for (int i = 0; i < n; i++) {
                    z[oc + i * sc] = x[oa + i * sa] / y[ob + i * sb];
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    z[oc + i * sc] = op.apply(x[oa + i * sa], y[ob + i * sb]);
                }
            }
        }
    }

    // ------------------------------------------------------------ reductions

    @Override
    public void reduce(ReduceOp op, NDArray x, boolean[] dims, NDArray out) {
        if (FastPaths.reduce(op, x, dims, out)) {
            return;
        }
        fill(out, op.identity());
        NDArray acc = out.expand(x.shape());
        Storage xs = x.storage();
        Storage cs = out.storage();
        StridedLoop.forEach(x, acc, (n, ox, sx, oc, sc) -> {
            if (sc == 0) { // the inner dim is reduced: accumulate into one output element
                double r = load(cs, oc);
                if (op == ReduceOp.SUM && xs.dtype() == DType.FLOAT32) {
                    float[] a = xs.floats();
                    double s = 0;
                    for (int i = 0; i < n; i++) {
                        s += a[ox + i * sx];
                    }
                    r += s;
                } else {
                    for (int i = 0; i < n; i++) {
                        r = op.combine(r, load(xs, ox + i * sx));
                    }
                }
                store(cs, oc, r);
            } else {
                for (int i = 0; i < n; i++) {
                    int c = oc + i * sc;
                    store(cs, c, op.combine(load(cs, c), load(xs, ox + i * sx)));
                }
            }
        });
    }

    @Override
    public void argReduce(boolean max, NDArray x, int dim, NDArray out) {
        Storage xs = x.storage();
        long[] o = out.storage().longs();
        if (x.dim() == 0) {
            o[out.offset()] = 0;
            return;
        }
        int len = x.shape()[dim];
        int stride = x.strides()[dim];
        int[] starts = StridedLoop.lineStarts(x, dim);
        int[] outStarts = StridedLoop.lineStarts(out, dim);
        for (int l = 0; l < starts.length; l++) {
            int best = 0;
            double bv = load(xs, starts[l]);
            for (int i = 1; i < len; i++) {
                double v = load(xs, starts[l] + i * stride);
                if (Double.isNaN(bv)) {
                    break;
                }
                if (max ? (v > bv || Double.isNaN(v)) : (v < bv || Double.isNaN(v))) {
                    bv = v;
                    best = i;
                }
            }
            o[outStarts[l]] = best;
        }
    }

    // ------------------------------------------------------------ matmul

    @Override
    public void matmul(NDArray a, NDArray b, NDArray out) {
        if (a.shape()[2] == 0) {
            fill(out, 0);
            return;
        }
        boolean floating = a.dtype() == DType.FLOAT32 || a.dtype() == DType.FLOAT64;
        MatmulBatches f = MatmulBatches.fold(a, b, out);
        if (floating && OpenBlas.available()) {
            OpenBlas.gemmBatched(f.a(), f.b(), f.c());
            return;
        }
        boolean vector = floating && VectorApi.ENABLED;
        for (int i = 0; i < f.a().shape()[0]; i++) {
            NDArray ai = f.a().select(0, i);
            NDArray bi = f.b().select(0, i);
            NDArray ci = f.c().select(0, i);
            if (vector) {
                VectorGemm.gemm(ai, bi, ci);
            } else {
                JavaGemm.gemm(ai, bi, ci, ai.shape()[0], bi.shape()[1], ai.shape()[1]);
            }
        }
    }

    // ------------------------------------------------------------ softmax and indexing

    @Override
    public void logSoftmax(NDArray x, int dim, NDArray out) {
        Storage xs = x.storage();
        Storage os = out.storage();
        int len = x.dim() == 0 ? 1 : x.shape()[dim];
        int sx = x.dim() == 0 ? 0 : x.strides()[dim];
        int so = out.dim() == 0 ? 0 : out.strides()[dim];
        int[] xStarts = x.dim() == 0 ? new int[] {x.offset()} : StridedLoop.lineStarts(x, dim);
        int[] oStarts = out.dim() == 0 ? new int[] {out.offset()} : StridedLoop.lineStarts(out, dim);
        if (xs.dtype() == DType.FLOAT32 && os.dtype() == DType.FLOAT32 && sx == 1 && so == 1) {
            logSoftmaxRows(xs.floats(), xStarts, os.floats(), oStarts, len);
            return;
        }
        for (int l = 0; l < xStarts.length; l++) {
            int xo = xStarts[l];
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < len; i++) {
                max = Math.max(max, load(xs, xo + i * sx));
            }
            double sum = 0;
            for (int i = 0; i < len; i++) {
                sum += Math.exp(load(xs, xo + i * sx) - max);
            }
            double lse = max + Math.log(sum);
            for (int i = 0; i < len; i++) {
                store(os, oStarts[l] + i * so, load(xs, xo + i * sx) - lse);
            }
        }
    }

    /**
     * {@link #logSoftmax} over FLOAT32 lines of consecutive elements (a classifier's logits), on
     * the arrays directly: the same arithmetic in the same order as the general loop (max, sum of
     * exp and log-sum-exp in double), so the same bits, without a dtype switch per element.
     */
    private static void logSoftmaxRows(float[] x, int[] xStarts, float[] out, int[] oStarts, int len) {
        for (int l = 0; l < xStarts.length; l++) {
            int xo = xStarts[l];
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < len; i++) {
                max = Math.max(max, x[xo + i]);
            }
            double sum = 0;
            for (int i = 0; i < len; i++) {
                sum += Math.exp(x[xo + i] - max);
            }
            double lse = max + Math.log(sum);
            int oo = oStarts[l];
            for (int i = 0; i < len; i++) {
                out[oo + i] = (float) (x[xo + i] - lse);
            }
        }
    }

    @Override
    public void gather(NDArray x, int dim, NDArray index, NDArray out) {
        SelectionKernels.gather(x, dim, index, out);
    }

    @Override
    public void scatterAdd(NDArray out, int dim, NDArray index, NDArray src) {
        forEachIndexed(index, (coords, idx) -> {
            checkBounds(idx, out.shape()[dim], "scatterAdd");
            int dst = offsetOf(out, coords, dim, idx);
            store(out.storage(), dst, load(out.storage(), dst) + load(src.storage(), offsetOf(src, coords, -1, 0)));
        });
    }

    private interface IndexedVisitor {
        void visit(int[] coords, long idx);
    }

    /** Visits every element of {@code index} in row-major order with its coordinates and value. */
    private static void forEachIndexed(NDArray index, IndexedVisitor v) {
        int[] shape = index.shape();
        int[] coords = new int[shape.length];
        long total = index.numel();
        for (long pos = 0; pos < total; pos++) {
            v.visit(coords, (long) load(index.storage(), offsetOf(index, coords, -1, 0)));
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++coords[d] < shape[d]) {
                    break;
                }
                coords[d] = 0;
            }
        }
    }

    /** Storage offset of {@code coords} in {@code x}, with coordinate {@code dim} replaced by {@code idx}. */
    private static int offsetOf(NDArray x, int[] coords, int dim, long idx) {
        int[] st = x.strides();
        int off = x.offset();
        for (int d = 0; d < coords.length; d++) {
            off += (d == dim ? (int) idx : coords[d]) * st[d];
        }
        return off;
    }

    private static void checkBounds(long idx, int size, String op) {
        if (idx < 0 || idx >= size) {
            throw new IllegalArgumentException(op + ": index " + idx + " out of range for a dimension of size " + size);
        }
    }

    // ------------------------------------------------------------ random

    @Override
    public void uniform(NDArray out, Generator gen, double low, double high) {
        RandomKernels.uniform(out, gen, low, high);
    }

    @Override
    public void normal(NDArray out, Generator gen, double mean, double std) {
        long base = gen.reserve(out.numel());
        long n = out.numel();
        for (long i = 0; i < n; i++) {
            out.setDouble(i, mean + std * gen.normal(base + i));
        }
    }

    // ------------------------------------------------------------ selection and random fills (issue 3)

    @Override
    public void where(NDArray cond, NDArray a, NDArray b, NDArray out) {
        SelectionKernels.where(cond, a, b, out);
    }

    @Override
    public void maskedSelect(NDArray x, NDArray mask, NDArray out) {
        SelectionKernels.maskedSelect(x, mask, out);
    }

    @Override
    public void maskedScatter(NDArray out, NDArray mask, NDArray src) {
        SelectionKernels.maskedScatter(out, mask, src);
    }

    @Override
    public void bernoulli(NDArray p, NDArray out, Generator gen) {
        RandomKernels.bernoulli(p, out, gen);
    }

    @Override
    public void randint(NDArray out, Generator gen, long low, long high) {
        RandomKernels.randint(out, gen, low, high);
    }

    // ------------------------------------------------------------ convolution and pooling (CpuConvolution, CpuPooling)

    @Override
    public void conv2d(NDArray input, NDArray weight, NDArray bias, Conv2dParams p, NDArray out) {
        CpuConvolution.forward(ConvWorkspace.forThread(input.dtype()), input, weight, bias, p, out);
    }

    @Override
    public void conv2dBackwardInput(NDArray gradOut, NDArray weight, Conv2dParams p, NDArray gradInput) {
        CpuConvolution.backwardInput(ConvWorkspace.forThread(gradOut.dtype()), gradOut, weight, p, gradInput);
    }

    @Override
    public void conv2dBackwardWeight(NDArray gradOut, NDArray input, Conv2dParams p, NDArray gradWeight, NDArray gradBias) {
        CpuConvolution.backwardWeight(ConvWorkspace.forThread(gradOut.dtype()), gradOut, input, p, gradWeight, gradBias);
    }

    @Override
    public void maxPool2d(NDArray input, Pool2dParams p, NDArray out, NDArray indices) {
        CpuPooling.maxPool(input, p, out, indices);
    }

    @Override
    public void maxPool2dBackward(NDArray gradOut, NDArray indices, Pool2dParams p, NDArray gradInput) {
        CpuPooling.maxPoolBackward(gradOut, indices, gradInput);
    }

    @Override
    public void avgPool2d(NDArray input, Pool2dParams p, NDArray out) {
        CpuPooling.avgPool(input, p, out);
    }

    @Override
    public void avgPool2dBackward(NDArray gradOut, Pool2dParams p, NDArray gradInput) {
        CpuPooling.avgPoolBackward(gradOut, p, gradInput);
    }
}
