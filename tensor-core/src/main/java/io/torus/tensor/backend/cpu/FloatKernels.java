package io.torus.tensor.backend.cpu;

import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.ReduceOp;
import io.torus.tensor.op.UnaryOp;

/**
 * FLOAT32 kernels over contiguous runs ({@code n} elements from an offset, stride 1): straight
 * loops that allocate nothing per element, handed to {@link VectorKernels} where the Vector API is
 * enabled and measurably faster. {@link DoubleKernels} is the FLOAT64 twin.
 *
 * <p>Note [Deterministic sums]: a float sum of a run is defined, independent of the hardware's
 * vector width and of whether the Vector API is used, as:
 * <pre>
 *   main = n rounded down to a multiple of 32
 *   element i &lt; main goes to float stream i mod 32; after each block of 8192 elements (the last
 *   block of main may be shorter) each stream is added into its double total and restarts from 0
 *   the 32 double totals are folded pairwise: t[j] += t[j + w] for w = 16, 8, 4, 2, 1
 *   the tail (i &gt;= main) is added to t[0] in order, in double
 * </pre>
 * 32 streams fill two AVX-512 vectors or four AVX2 ones, so both hardware paths compute exactly
 * this; the float streams give ILP, the periodic flush into doubles bounds the float rounding to
 * 256 additions. Callers split long runs at fixed offsets (Note [Fixed chunks] in
 * {@link IntraOp}), so the thread count never changes a sum.
 */
final class FloatKernels {
    static final int STREAMS = 32;
    static final int FLUSH = 8192;
    private static final boolean VECTOR = VectorApi.ENABLED;

    private FloatKernels() {
    }

    /** The binary ops these kernels implement; others take the generic path. */
    static boolean supports(BinaryOp op) {
        return switch (op) {
            case ADD, SUB, MUL, DIV, MAX, MIN, RELU_BACKWARD -> true;
            default -> false;
        };
    }

    // ------------------------------------------------------------------------ elementwise

    /** {@code z[oz + i] = x[ox + i] op y[oy + i]} for {@code i < n}. */
    static void binary(BinaryOp op, int n, float[] x, int ox, float[] y, int oy, float[] z, int oz) {
        switch (op) {
            case ADD -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = x[ox + i] + y[oy + i];
                }
            }
            case SUB -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = x[ox + i] - y[oy + i];
                }
            }
            case MUL -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = x[ox + i] * y[oy + i];
                }
            }
            case DIV -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = x[ox + i] / y[oy + i];
                }
            }
            case MAX -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = Math.max(x[ox + i], y[oy + i]);
                }
            }
            case MIN -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = Math.min(x[ox + i], y[oy + i]);
                }
            }
            case RELU_BACKWARD -> {
                if (VECTOR) {
                    VectorKernels.reluBackward(n, x, ox, y, oy, z, oz);
                } else {
                    for (int i = 0; i < n; i++) {
                        z[oz + i] = y[oy + i] > 0 ? x[ox + i] : 0f;
                    }
                }
            }
            default -> throw unsupported(op);
        }
    }

    /** {@code z[oz + i] = x[ox + i] op s}, or {@code s op x[ox + i]} when {@code scalarFirst}. */
    static void binaryScalar(BinaryOp op, int n, float[] x, int ox, float s, boolean scalarFirst, float[] z, int oz) {
        switch (op) {
            case ADD -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = x[ox + i] + s;
                }
            }
            case MUL -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = x[ox + i] * s;
                }
            }
            case SUB -> {
                if (scalarFirst) {
                    for (int i = 0; i < n; i++) {
                        z[oz + i] = s - x[ox + i];
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        z[oz + i] = x[ox + i] - s;
                    }
                }
            }
            case DIV -> {
                if (scalarFirst) {
                    for (int i = 0; i < n; i++) {
                        z[oz + i] = s / x[ox + i];
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        z[oz + i] = x[ox + i] / s;
                    }
                }
            }
            case MAX -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = Math.max(x[ox + i], s);
                }
            }
            case MIN -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = Math.min(x[ox + i], s);
                }
            }
            case RELU_BACKWARD -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = scalarFirst ? (x[ox + i] > 0 ? s : 0f) : (s > 0 ? x[ox + i] : 0f);
                }
            }
            default -> throw unsupported(op);
        }
    }

    /** {@code z[oz + i] = op(x[ox + i])}; results within 1 ulp of {@code (float) op.apply(double)} (sigmoid: 2). */
    static void unary(UnaryOp op, int n, float[] x, int ox, float[] z, int oz) {
        if (VECTOR && VectorKernels.vectorizes(op)) {
            VectorKernels.unary(op, n, x, ox, z, oz);
        } else {
            unaryScalar(op, n, x, ox, z, oz);
        }
    }

    static void unaryScalar(UnaryOp op, int n, float[] x, int ox, float[] z, int oz) {
        switch (op) {
            case NEG -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = -x[ox + i];
                }
            }
            case ABS -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = Math.abs(x[ox + i]);
                }
            }
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    float v = x[ox + i];
                    z[oz + i] = v > 0 ? v : 0f;
                }
            }
            case SQRT -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = (float) Math.sqrt(x[ox + i]);
                }
            }
            case EXP -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = (float) Math.exp(x[ox + i]);
                }
            }
            case LOG -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = (float) Math.log(x[ox + i]);
                }
            }
            case TANH -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = (float) Math.tanh(x[ox + i]);
                }
            }
            case SIGMOID -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = (float) (1 / (1 + Math.exp(-x[ox + i])));
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = (float) op.apply(x[ox + i]);
                }
            }
        }
    }

    // ------------------------------------------------------------------------ reductions

    /** The sum of {@code x[off .. off + n)} as defined in Note [Deterministic sums]. */
    static double sum(float[] x, int off, int n) {
        return VECTOR && VectorKernels.sumsFloats() ? VectorKernels.sum(x, off, n) : sumScalar(x, off, n);
    }

    static double sumScalar(float[] x, int off, int n) {
        float[] acc = new float[STREAMS];
        double[] total = new double[STREAMS];
        int main = n - n % STREAMS;
        for (int b = 0; b < main; b += FLUSH) {
            int e = Math.min(main, b + FLUSH);
            for (int g = b; g < e; g += STREAMS) {
                int base = off + g;
                for (int j = 0; j < STREAMS; j++) {
                    acc[j] += x[base + j];
                }
            }
            for (int j = 0; j < STREAMS; j++) {
                total[j] += acc[j];
                acc[j] = 0f;
            }
        }
        return finish(total, x, off + main, n - main);
    }

    /** Folds the stream totals pairwise, then adds the tail in order. */
    static double finish(double[] total, float[] x, int tailOff, int tailLen) {
        for (int w = STREAMS / 2; w >= 1; w /= 2) {
            for (int j = 0; j < w; j++) {
                total[j] += total[j + w];
            }
        }
        double s = total[0];
        for (int i = 0; i < tailLen; i++) {
            s += x[tailOff + i];
        }
        return s;
    }

    /** Max or min of a non-empty run, NaN when any element is NaN (as {@link ReduceOp#combine}). */
    static float extreme(ReduceOp op, float[] x, int off, int n) {
        if (VECTOR) {
            return VectorKernels.extreme(op, x, off, n);
        }
        return extremeScalar(op, x, off, n);
    }

    static float extremeScalar(ReduceOp op, float[] x, int off, int n) {
        float r = x[off];
        if (op == ReduceOp.MAX) {
            for (int i = 1; i < n; i++) {
                float v = x[off + i];
                r = v > r || v != v ? v : r;
            }
        } else {
            for (int i = 1; i < n; i++) {
                float v = x[off + i];
                r = v < r || v != v ? v : r;
            }
        }
        return r != r ? Float.NaN : r;
    }

    /**
     * {@code acc[oa + i] = op.combine(acc[oa + i], x[ox + i])} in float: one row of a reduction over
     * leading dims (bit-identical to the generic path, which also accumulates in the output).
     */
    static void accumulate(ReduceOp op, int n, float[] x, int ox, float[] acc, int oa) {
        if (VECTOR) {
            VectorKernels.accumulate(op, n, x, ox, acc, oa);
        } else {
            accumulateScalar(op, n, x, ox, acc, oa);
        }
    }

    static void accumulateScalar(ReduceOp op, int n, float[] x, int ox, float[] acc, int oa) {
        switch (op) {
            case SUM -> binary(BinaryOp.ADD, n, acc, oa, x, ox, acc, oa);
            case MAX -> {
                for (int i = 0; i < n; i++) {
                    float v = x[ox + i];
                    float a = acc[oa + i];
                    acc[oa + i] = v > a || v != v ? v : a;
                }
            }
            case MIN -> {
                for (int i = 0; i < n; i++) {
                    float v = x[ox + i];
                    float a = acc[oa + i];
                    acc[oa + i] = v < a || v != v ? v : a;
                }
            }
        }
    }

    static UnsupportedOperationException unsupported(Object op) {
        return new UnsupportedOperationException("no contiguous kernel for " + op);
    }
}
