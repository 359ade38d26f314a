package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.ReduceOp;
import io.torus.tensor.op.UnaryOp;

/**
 * The layouts a training step spends its time in, recognised before {@link CpuBackend}'s generic
 * strided loops and run as straight loops over whole contiguous runs (FLOAT32 and FLOAT64).
 *
 * <p>Every operand is classified by its <em>period</em> P: element i (row-major) lives at
 * {@code offset + i % P}. A contiguous array has P = numel, a broadcast scalar P = 1, and a row
 * broadcast to a batch ({@code [N]} expanded to {@code [B, N]}: the bias of a linear layer) P = N.
 * Binary ops then run as
 * <pre>
 *   P(a) = P(b) = n      one run of n:            z[i] = x[i] op y[i]
 *   P(b) = 1 (or P(a))   one run against a scalar
 *   P(b) = N divides n   n / N runs of N against the same row of b (or with a and b swapped)
 * </pre>
 * and anything else (transposed views, column broadcasts such as {@code [B, 1]}) returns false
 * and takes the generic path, whose rows still use these kernels when they are unit-stride.
 * Reductions of a contiguous array over one block of adjacent dims view it as {@code [R, N, K]}
 * reduced over N: K = 1 reduces runs (last-dim or full reductions), K &gt; 1 accumulates rows of K
 * (a bias gradient: {@code [B, N]} summed over B).
 *
 * <p>Large runs are split over {@link IntraOp} threads in chunks fixed by the size (Note [Fixed
 * chunks]); sums of long runs are cut at fixed {@link #SUM_CHUNK} offsets and their partial sums
 * added in order (Note [Deterministic sums] in {@link FloatKernels}), so no result depends on
 * the thread count.
 *
 * <p>Measured on 64 MiB FLOAT32 operands, one thread, GB/s of bytes read and written (2-vCPU VM,
 * ±30 %; {@code System.arraycopy} of the same size: 10-12):
 * <pre>
 *                   add   mul   [B,N]+[N]   +scalar   sum all   sum last dim   sum dim 0   relu   exp
 *   generic loops   9.0   9.0   6.9         6.2       2.6       2.7            0.8         1.6    0.6
 *   fast paths      11.5  12.0  9.6         10.4      25        22             23          14     12
 * </pre>
 * Straight loops run at memory speed for +, -, *, / on large cold operands, but C2 leaves them
 * scalar whenever the output may overlap an input at another offset, which it cannot rule out for
 * in-place ops: on operands hot in cache the Vector API loops are ~3x faster there (Note
 * [Vectorized arithmetic] in {@link VectorKernels}), as for reductions, relu and transcendental
 * functions, which C2 never vectorizes.
 */
final class FastPaths {
    /** Elements per parallel chunk of elementwise work; smaller jobs run on the calling thread. */
    static final int GRAIN = 1 << 15;
    /** Long sums are cut into runs of this many elements, summed separately, then added in order. */
    static final int SUM_CHUNK = 1 << 16;
    /** Tests switch the fast paths off to compare them with the generic loops on the same inputs. */
    static boolean enabled = true;

    private FastPaths() {
    }

    private interface Range {
        void run(int from, int to);
    }

    /** Runs {@code body} over {@code [0, n)}: whole on this thread, or in GRAIN chunks over the intra-op threads. */
    private static void split(long n, int grain, Range body) {
        if (IntraOp.threads() == 1 || n < 2L * grain) {
            body.run(0, (int) n);
            return;
        }
        int chunks = IntraOp.chunks(n, grain);
        IntraOp.parallelFor(chunks, c -> body.run(c * grain, (int) Math.min(n, (long) (c + 1) * grain)));
    }

    /** Element i of {@code x} is at {@code x.offset() + i % P}; returns P, or -1 for other layouts. */
    static long period(NDArray x) {
        int[] sh = x.shape();
        int[] st = x.strides();
        long expected = 1;
        int d = sh.length - 1;
        for (; d >= 0; d--) {
            if (sh[d] == 1) {
                continue;
            }
            if (st[d] != expected) {
                break;
            }
            expected *= sh[d];
        }
        for (; d >= 0; d--) {
            if (sh[d] != 1 && st[d] != 0) {
                return -1;
            }
        }
        return expected;
    }

    private static boolean floating(DType dt) {
        return dt == DType.FLOAT32 || dt == DType.FLOAT64;
    }

    // ------------------------------------------------------------------------ elementwise

    static boolean binary(BinaryOp op, NDArray a, NDArray b, NDArray out) {
        DType dt = out.dtype();
        long n = out.numel();
        if (!enabled || !floating(dt) || a.dtype() != dt || b.dtype() != dt || !FloatKernels.supports(op) || n == 0
                || period(out) != n) {
            return false;
        }
        long pa = period(a);
        long pb = period(b);
        Object x = a.storage().array();
        Object y = b.storage().array();
        Object z = out.storage().array();
        int ox = a.offset();
        int oy = b.offset();
        int oz = out.offset();
        if (pa == n && pb == n) {
            split(n, GRAIN, (from, to) -> run(op, to - from, x, ox + from, y, oy + from, z, oz + from));
        } else if (pa == n && pb == 1) {
            split(n, GRAIN, (from, to) -> runScalar(op, to - from, x, ox + from, y, oy, false, z, oz + from));
        } else if (pa == 1 && pb == n) {
            split(n, GRAIN, (from, to) -> runScalar(op, to - from, y, oy + from, x, ox, true, z, oz + from));
        } else if (pa == n && pb > 1 && n % pb == 0) {
            int len = (int) pb;
            split(n / len, Math.max(1, GRAIN / len), (from, to) -> {
                for (int r = from; r < to; r++) {
                    run(op, len, x, ox + r * len, y, oy, z, oz + r * len);
                }
            });
        } else if (pb == n && pa > 1 && n % pa == 0) {
            int len = (int) pa;
            split(n / len, Math.max(1, GRAIN / len), (from, to) -> {
                for (int r = from; r < to; r++) {
                    run(op, len, x, ox, y, oy + r * len, z, oz + r * len);
                }
            });
        } else {
            return false;
        }
        return true;
    }

    /** {@code out = alpha·a + beta·b} when all three are contiguous runs of one floating dtype. */
    static boolean axpby(double alpha, NDArray a, double beta, NDArray b, NDArray out) {
        DType dt = out.dtype();
        long n = out.numel();
        if (!enabled || !floating(dt) || a.dtype() != dt || b.dtype() != dt || period(out) != n || period(a) != n
                || period(b) != n) {
            return n == 0;
        }
        Object x = a.storage().array();
        Object y = b.storage().array();
        Object z = out.storage().array();
        int ox = a.offset();
        int oy = b.offset();
        int oz = out.offset();
        split(n, GRAIN, (from, to) -> {
            if (z instanceof float[] f) {
                FloatKernels.axpby(to - from, (float) alpha, (float[]) x, ox + from, (float) beta, (float[]) y, oy + from, f,
                        oz + from);
            } else {
                DoubleKernels.axpby(to - from, alpha, (double[]) x, ox + from, beta, (double[]) y, oy + from, (double[]) z,
                        oz + from);
            }
        });
        return true;
    }

    /** One unit-stride run of a binary op on float[] or double[] arrays. */
    static void run(BinaryOp op, int n, Object x, int ox, Object y, int oy, Object z, int oz) {
        if (z instanceof float[] f) {
            FloatKernels.binary(op, n, (float[]) x, ox, (float[]) y, oy, f, oz);
        } else {
            DoubleKernels.binary(op, n, (double[]) x, ox, (double[]) y, oy, (double[]) z, oz);
        }
    }

    /** A run against the scalar {@code s[os]}; {@code scalarFirst} computes {@code s op x}. */
    static void runScalar(BinaryOp op, int n, Object x, int ox, Object s, int os, boolean scalarFirst, Object z, int oz) {
        if (z instanceof float[] f) {
            FloatKernels.binaryScalar(op, n, (float[]) x, ox, ((float[]) s)[os], scalarFirst, f, oz);
        } else {
            DoubleKernels.binaryScalar(op, n, (double[]) x, ox, ((double[]) s)[os], scalarFirst, (double[]) z, oz);
        }
    }

    static boolean unary(UnaryOp op, NDArray x, NDArray out) {
        DType dt = out.dtype();
        long n = out.numel();
        if (!enabled || !floating(dt) || x.dtype() != dt || n == 0 || period(out) != n || period(x) != n) {
            return false;
        }
        Object a = x.storage().array();
        Object z = out.storage().array();
        int ox = x.offset();
        int oz = out.offset();
        split(n, GRAIN, (from, to) -> runUnary(op, to - from, a, ox + from, z, oz + from));
        return true;
    }

    static void runUnary(UnaryOp op, int n, Object x, int ox, Object z, int oz) {
        if (z instanceof float[] f) {
            FloatKernels.unary(op, n, (float[]) x, ox, f, oz);
        } else {
            DoubleKernels.unary(op, n, (double[]) x, ox, (double[]) z, oz);
        }
    }

    // ------------------------------------------------------------------------ reductions

    /**
     * Reductions of a contiguous array over one block of adjacent dims (size-1 dims aside) into a
     * contiguous output; false for other layouts.
     */
    static boolean reduce(ReduceOp op, NDArray x, boolean[] dims, NDArray out) {
        DType dt = x.dtype();
        long numel = x.numel();
        if (!enabled || !floating(dt) || out.dtype() != dt || numel == 0 || period(x) != numel
                || period(out) != out.numel()) {
            return false;
        }
        int[] sh = x.shape();
        long r = 1;
        long nRed = 1;
        long k = 1;
        int state = 0; // 0: before the reduced block, 1: inside it, 2: after it
        for (int d = 0; d < sh.length; d++) {
            if (sh[d] == 1) {
                continue;
            }
            if (dims[d]) {
                if (state == 2) {
                    return false;
                }
                state = 1;
                nRed *= sh[d];
            } else if (state == 0) {
                r *= sh[d];
            } else {
                state = 2;
                k *= sh[d];
            }
        }
        if (nRed == 1) {
            return false;
        }
        Object a = x.storage().array();
        Object z = out.storage().array();
        int ox = x.offset();
        int oz = out.offset();
        int len = (int) nRed;
        if (k == 1 && r == 1) {
            store(z, oz, reduceRunParallel(op, a, ox, len));
        } else if (k == 1) {
            split(r, Math.max(1, GRAIN / len), (from, to) -> {
                for (int i = from; i < to; i++) {
                    store(z, oz + i, reduceRun(op, a, ox + i * len, len));
                }
            });
        } else {
            int cols = (int) k;
            long rows = r;
            // Each column is summed over the N rows in order, however the columns are chunked, so
            // chunks may follow the thread count; they stay wide so that each row read is long.
            int t = IntraOp.threads();
            int grain = t == 1 || (long) len * cols < 2L * GRAIN ? cols : Math.min(cols, Math.max(1024, (cols + t - 1) / t));
            int perRow = IntraOp.chunks(cols, grain);
            long count = (long) perRow * rows;
            split(count, numel < 2L * GRAIN ? (int) count : 1, (from, to) -> {
                for (int c = from; c < to; c++) {
                    int i = c / perRow;
                    int c0 = (c % perRow) * grain;
                    int w = Math.min(grain, cols - c0);
                    int dst = oz + i * cols + c0;
                    fillIdentity(op, z, dst, w);
                    for (int j = 0; j < len; j++) {
                        accumulate(op, w, a, ox + (i * len + j) * cols + c0, z, dst);
                    }
                }
            });
        }
        return true;
    }

    /** A run reduced on this thread: the chunked sum of Note [Deterministic sums], or max/min. */
    static double reduceRun(ReduceOp op, Object x, int off, int n) {
        if (op != ReduceOp.SUM) {
            return extreme(op, x, off, n);
        }
        double s = 0;
        for (int c = 0; c < n; c += SUM_CHUNK) {
            s += sum(x, off + c, Math.min(SUM_CHUNK, n - c));
        }
        return s;
    }

    /** The same value as {@link #reduceRun}, with the chunks spread over the intra-op threads. */
    private static double reduceRunParallel(ReduceOp op, Object x, int off, int n) {
        int chunks = IntraOp.chunks(n, SUM_CHUNK);
        if (IntraOp.threads() == 1 || chunks == 1) {
            return reduceRun(op, x, off, n);
        }
        double[] partial = new double[chunks];
        IntraOp.parallelFor(chunks, c -> {
            int from = c * SUM_CHUNK;
            int len = Math.min(SUM_CHUNK, n - from);
            partial[c] = op == ReduceOp.SUM ? sum(x, off + from, len) : extreme(op, x, off + from, len);
        });
        double s = op == ReduceOp.SUM ? 0 : partial[0];
        for (int c = op == ReduceOp.SUM ? 0 : 1; c < chunks; c++) {
            s = op == ReduceOp.SUM ? s + partial[c] : op.combine(s, partial[c]);
        }
        return s;
    }

    private static double sum(Object x, int off, int n) {
        return x instanceof float[] f ? FloatKernels.sum(f, off, n) : DoubleKernels.sum((double[]) x, off, n);
    }

    private static double extreme(ReduceOp op, Object x, int off, int n) {
        return x instanceof float[] f ? FloatKernels.extreme(op, f, off, n) : DoubleKernels.extreme(op, (double[]) x, off, n);
    }

    private static void accumulate(ReduceOp op, int n, Object x, int ox, Object acc, int oa) {
        if (acc instanceof float[] f) {
            FloatKernels.accumulate(op, n, (float[]) x, ox, f, oa);
        } else {
            DoubleKernels.accumulate(op, n, (double[]) x, ox, (double[]) acc, oa);
        }
    }

    private static void fillIdentity(ReduceOp op, Object z, int off, int n) {
        if (z instanceof float[] f) {
            java.util.Arrays.fill(f, off, off + n, (float) op.identity());
        } else {
            java.util.Arrays.fill((double[]) z, off, off + n, op.identity());
        }
    }

    private static void store(Object z, int i, double v) {
        if (z instanceof float[] f) {
            f[i] = (float) v;
        } else {
            ((double[]) z)[i] = v;
        }
    }
}
