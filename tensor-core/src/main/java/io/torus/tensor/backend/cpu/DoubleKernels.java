package io.torus.tensor.backend.cpu;

import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.ReduceOp;
import io.torus.tensor.op.UnaryOp;

/**
 * FLOAT64 kernels over contiguous runs: the twin of {@link FloatKernels} (see there). A double
 * sum uses 16 double streams (two AVX-512 vectors, four AVX2 ones), no flush, the same pairwise
 * fold and an in-order tail.
 */
final class DoubleKernels {
    static final int STREAMS = 16;
    private static final boolean VECTOR = VectorApi.ENABLED;

    private DoubleKernels() {
    }

    static void binary(BinaryOp op, int n, double[] x, int ox, double[] y, int oy, double[] z, int oz) {
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
                        z[oz + i] = y[oy + i] > 0 ? x[ox + i] : 0;
                    }
                }
            }
            default -> throw FloatKernels.unsupported(op);
        }
    }

    static void binaryScalar(BinaryOp op, int n, double[] x, int ox, double s, boolean scalarFirst, double[] z, int oz) {
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
                    z[oz + i] = scalarFirst ? (x[ox + i] > 0 ? s : 0) : (s > 0 ? x[ox + i] : 0);
                }
            }
            default -> throw FloatKernels.unsupported(op);
        }
    }

    static void unary(UnaryOp op, int n, double[] x, int ox, double[] z, int oz) {
        if (VECTOR && VectorKernels.vectorizes(op)) {
            VectorKernels.unary(op, n, x, ox, z, oz);
        } else {
            unaryScalar(op, n, x, ox, z, oz);
        }
    }

    static void unaryScalar(UnaryOp op, int n, double[] x, int ox, double[] z, int oz) {
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
                    double v = x[ox + i];
                    z[oz + i] = v > 0 ? v : 0d;
                }
            }
            case SQRT -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = Math.sqrt(x[ox + i]);
                }
            }
            case EXP -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = Math.exp(x[ox + i]);
                }
            }
            default -> {
                for (int i = 0; i < n; i++) {
                    z[oz + i] = op.apply(x[ox + i]);
                }
            }
        }
    }

    /** The sum of {@code x[off .. off + n)}: 16 double streams, pairwise fold, tail in order. */
    static double sum(double[] x, int off, int n) {
        return VECTOR && VectorKernels.sumsDoubles() ? VectorKernels.sum(x, off, n) : sumScalar(x, off, n);
    }

    static double sumScalar(double[] x, int off, int n) {
        double[] total = new double[STREAMS];
        int main = n - n % STREAMS;
        for (int g = 0; g < main; g += STREAMS) {
            int base = off + g;
            for (int j = 0; j < STREAMS; j++) {
                total[j] += x[base + j];
            }
        }
        return finish(total, x, off + main, n - main);
    }

    static double finish(double[] total, double[] x, int tailOff, int tailLen) {
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

    static double extreme(ReduceOp op, double[] x, int off, int n) {
        if (VECTOR) {
            return VectorKernels.extreme(op, x, off, n);
        }
        return extremeScalar(op, x, off, n);
    }

    static double extremeScalar(ReduceOp op, double[] x, int off, int n) {
        double r = x[off];
        if (op == ReduceOp.MAX) {
            for (int i = 1; i < n; i++) {
                double v = x[off + i];
                r = v > r || v != v ? v : r;
            }
        } else {
            for (int i = 1; i < n; i++) {
                double v = x[off + i];
                r = v < r || v != v ? v : r;
            }
        }
        return r != r ? Double.NaN : r;
    }

    static void accumulate(ReduceOp op, int n, double[] x, int ox, double[] acc, int oa) {
        if (VECTOR) {
            VectorKernels.accumulate(op, n, x, ox, acc, oa);
        } else {
            accumulateScalar(op, n, x, ox, acc, oa);
        }
    }

    static void accumulateScalar(ReduceOp op, int n, double[] x, int ox, double[] acc, int oa) {
        switch (op) {
            case SUM -> binary(BinaryOp.ADD, n, acc, oa, x, ox, acc, oa);
            case MAX -> {
                for (int i = 0; i < n; i++) {
                    double v = x[ox + i];
                    double a = acc[oa + i];
                    acc[oa + i] = v > a || v != v ? v : a;
                }
            }
            case MIN -> {
                for (int i = 0; i < n; i++) {
                    double v = x[ox + i];
                    double a = acc[oa + i];
                    acc[oa + i] = v < a || v != v ? v : a;
                }
            }
        }
    }
}
