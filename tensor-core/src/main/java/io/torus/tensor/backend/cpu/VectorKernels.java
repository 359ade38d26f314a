package io.torus.tensor.backend.cpu;

import io.torus.tensor.op.ReduceOp;
import io.torus.tensor.op.UnaryOp;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API versions of the {@link FloatKernels} and {@link DoubleKernels} loops that the JIT
 * does not vectorize by itself: transcendental functions, relu, and reductions. Loaded only when
 * {@link VectorApi#ENABLED}.
 *
 * <p>Which ops, and why (FLOAT32, 64K elements, 2-vCPU AVX-512 VM, ns per element):
 * <pre>
 *   op        vector   scalar (float) Math.f((double) x)   max error of vector vs exact
 *   exp       0.22     13                                   0.54 ulp
 *   log       0.26     13                                   0.53 ulp
 *   tanh      0.39     34                                   0.56 ulp
 *   sigmoid   0.27      4.8                                 1.87 ulp (1 / (1 + exp(-x)) in float)
 * </pre>
 * Operators are written as constants at each call site: C2 replaces {@code lanewise(EXP)} by
 * the JDK's SVML routines only when the operator is a compile-time constant; otherwise every lane
 * goes through {@code Math.exp}, 50x slower.
 *
 * <p>Caveat: interpreted and C1-compiled code runs the Vector API's Java fallback, which computes
 * transcendental lanes with {@code Math}, so during warm-up an {@code exp} can differ from the
 * compiled result by 1 ulp. Sums, max and min, and all exact ops (+, -, *, /, sqrt, neg, abs,
 * relu) are the same bits in every tier. {@code -Dtorus.vector.disable=true} removes the
 * difference (at the scalar speed above).
 */
final class VectorKernels {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int FL = FS.length();
    private static final int DL = DS.length();

    private VectorKernels() {
    }

    static int floatLanes() {
        return FL;
    }

    static boolean vectorizes(UnaryOp op) {
        return switch (op) {
            case RELU, EXP, LOG, TANH, SIGMOID -> true;
            default -> false;
        };
    }

    /** Float sums use 32 streams: two 16-lane or four 8-lane accumulators (else the scalar loop). */
    static boolean sumsFloats() {
        return FL == 16 || FL == 8;
    }

    /** Double sums use 16 streams: two 8-lane or four 4-lane accumulators. */
    static boolean sumsDoubles() {
        return DL == 8 || DL == 4;
    }

    // ------------------------------------------------------------------------ binary

    /** {@code z[i] = y[i] > 0 ? x[i] : 0}: relu's backward pass (C2 does not vectorize the select). */
    static void reluBackward(int n, float[] x, int ox, float[] y, int oy, float[] z, int oz) {
        FloatVector zero = FloatVector.zero(FS);
        int bound = FS.loopBound(n);
        int i = 0;
        for (; i < bound; i += FL) {
            VectorMask<Float> open = FloatVector.fromArray(FS, y, oy + i).compare(VectorOperators.GT, 0f);
            zero.blend(FloatVector.fromArray(FS, x, ox + i), open).intoArray(z, oz + i);
        }
        for (; i < n; i++) {
            z[oz + i] = y[oy + i] > 0 ? x[ox + i] : 0f;
        }
    }

    static void reluBackward(int n, double[] x, int ox, double[] y, int oy, double[] z, int oz) {
        DoubleVector zero = DoubleVector.zero(DS);
        int bound = DS.loopBound(n);
        int i = 0;
        for (; i < bound; i += DL) {
            VectorMask<Double> open = DoubleVector.fromArray(DS, y, oy + i).compare(VectorOperators.GT, 0d);
            zero.blend(DoubleVector.fromArray(DS, x, ox + i), open).intoArray(z, oz + i);
        }
        for (; i < n; i++) {
            z[oz + i] = y[oy + i] > 0 ? x[ox + i] : 0d;
        }
    }

    // ------------------------------------------------------------------------ unary

    static void unary(UnaryOp op, int n, float[] x, int ox, float[] z, int oz) {
        int bound = FS.loopBound(n);
        int i = 0;
        switch (op) {
            case RELU -> {
                FloatVector zero = FloatVector.zero(FS);
                for (; i < bound; i += FL) {
                    FloatVector v = FloatVector.fromArray(FS, x, ox + i);
                    zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(z, oz + i);
                }
                FloatKernels.unaryScalar(op, n - i, x, ox + i, z, oz + i);
            }
            case EXP -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, ox + i).lanewise(VectorOperators.EXP).intoArray(z, oz + i);
                }
                if (i < n) {
                    VectorMask<Float> m = FS.indexInRange(i, n);
                    FloatVector.fromArray(FS, x, ox + i, m).lanewise(VectorOperators.EXP).intoArray(z, oz + i, m);
                }
            }
            case LOG -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, ox + i).lanewise(VectorOperators.LOG).intoArray(z, oz + i);
                }
                if (i < n) {
                    VectorMask<Float> m = FS.indexInRange(i, n);
                    FloatVector.fromArray(FS, x, ox + i, m).lanewise(VectorOperators.LOG).intoArray(z, oz + i, m);
                }
            }
            case TANH -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, ox + i).lanewise(VectorOperators.TANH).intoArray(z, oz + i);
                }
                if (i < n) {
                    VectorMask<Float> m = FS.indexInRange(i, n);
                    FloatVector.fromArray(FS, x, ox + i, m).lanewise(VectorOperators.TANH).intoArray(z, oz + i, m);
                }
            }
            case SIGMOID -> {
                FloatVector one = FloatVector.broadcast(FS, 1f);
                for (; i < bound; i += FL) {
                    FloatVector v = FloatVector.fromArray(FS, x, ox + i);
                    one.div(v.neg().lanewise(VectorOperators.EXP).add(one)).intoArray(z, oz + i);
                }
                if (i < n) {
                    VectorMask<Float> m = FS.indexInRange(i, n);
                    FloatVector v = FloatVector.fromArray(FS, x, ox + i, m);
                    one.div(v.neg().lanewise(VectorOperators.EXP).add(one)).intoArray(z, oz + i, m);
                }
            }
            default -> FloatKernels.unaryScalar(op, n, x, ox, z, oz);
        }
    }

    static void unary(UnaryOp op, int n, double[] x, int ox, double[] z, int oz) {
        int bound = DS.loopBound(n);
        int i = 0;
        switch (op) {
            case RELU -> {
                DoubleVector zero = DoubleVector.zero(DS);
                for (; i < bound; i += DL) {
                    DoubleVector v = DoubleVector.fromArray(DS, x, ox + i);
                    zero.blend(v, v.compare(VectorOperators.GT, 0d)).intoArray(z, oz + i);
                }
                DoubleKernels.unaryScalar(op, n - i, x, ox + i, z, oz + i);
            }
            case EXP -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, ox + i).lanewise(VectorOperators.EXP).intoArray(z, oz + i);
                }
                if (i < n) {
                    VectorMask<Double> m = DS.indexInRange(i, n);
                    DoubleVector.fromArray(DS, x, ox + i, m).lanewise(VectorOperators.EXP).intoArray(z, oz + i, m);
                }
            }
            case LOG -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, ox + i).lanewise(VectorOperators.LOG).intoArray(z, oz + i);
                }
                if (i < n) {
                    VectorMask<Double> m = DS.indexInRange(i, n);
                    DoubleVector.fromArray(DS, x, ox + i, m).lanewise(VectorOperators.LOG).intoArray(z, oz + i, m);
                }
            }
            case TANH -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, x, ox + i).lanewise(VectorOperators.TANH).intoArray(z, oz + i);
                }
                if (i < n) {
                    VectorMask<Double> m = DS.indexInRange(i, n);
                    DoubleVector.fromArray(DS, x, ox + i, m).lanewise(VectorOperators.TANH).intoArray(z, oz + i, m);
                }
            }
            case SIGMOID -> {
                DoubleVector one = DoubleVector.broadcast(DS, 1d);
                for (; i < bound; i += DL) {
                    DoubleVector v = DoubleVector.fromArray(DS, x, ox + i);
                    one.div(v.neg().lanewise(VectorOperators.EXP).add(one)).intoArray(z, oz + i);
                }
                if (i < n) {
                    VectorMask<Double> m = DS.indexInRange(i, n);
                    DoubleVector v = DoubleVector.fromArray(DS, x, ox + i, m);
                    one.div(v.neg().lanewise(VectorOperators.EXP).add(one)).intoArray(z, oz + i, m);
                }
            }
            default -> DoubleKernels.unaryScalar(op, n, x, ox, z, oz);
        }
    }

    // ------------------------------------------------------------------------ reductions

    /** Note [Deterministic sums] in {@link FloatKernels}, with 16- or 8-lane accumulators. */
    static double sum(float[] x, int off, int n) {
        int streams = FloatKernels.STREAMS;
        float[] spill = new float[streams];
        double[] total = new double[streams];
        int main = n - n % streams;
        FloatVector zero = FloatVector.zero(FS);
        for (int b = 0; b < main; b += FloatKernels.FLUSH) {
            int e = Math.min(main, b + FloatKernels.FLUSH);
            if (FL == 16) {
                FloatVector a0 = zero;
                FloatVector a1 = zero;
                for (int g = b; g < e; g += 32) {
                    a0 = a0.add(FloatVector.fromArray(FS, x, off + g));
                    a1 = a1.add(FloatVector.fromArray(FS, x, off + g + 16));
                }
                a0.intoArray(spill, 0);
                a1.intoArray(spill, 16);
            } else {
                FloatVector a0 = zero;
                FloatVector a1 = zero;
                FloatVector a2 = zero;
                FloatVector a3 = zero;
                for (int g = b; g < e; g += 32) {
                    a0 = a0.add(FloatVector.fromArray(FS, x, off + g));
                    a1 = a1.add(FloatVector.fromArray(FS, x, off + g + 8));
                    a2 = a2.add(FloatVector.fromArray(FS, x, off + g + 16));
                    a3 = a3.add(FloatVector.fromArray(FS, x, off + g + 24));
                }
                a0.intoArray(spill, 0);
                a1.intoArray(spill, 8);
                a2.intoArray(spill, 16);
                a3.intoArray(spill, 24);
            }
            for (int j = 0; j < streams; j++) {
                total[j] += spill[j];
            }
        }
        return FloatKernels.finish(total, x, off + main, n - main);
    }

    /** 16 double streams: two 8-lane or four 4-lane accumulators. */
    static double sum(double[] x, int off, int n) {
        int streams = DoubleKernels.STREAMS;
        double[] total = new double[streams];
        int main = n - n % streams;
        DoubleVector zero = DoubleVector.zero(DS);
        if (DL == 8) {
            DoubleVector a0 = zero;
            DoubleVector a1 = zero;
            for (int g = 0; g < main; g += 16) {
                a0 = a0.add(DoubleVector.fromArray(DS, x, off + g));
                a1 = a1.add(DoubleVector.fromArray(DS, x, off + g + 8));
            }
            a0.intoArray(total, 0);
            a1.intoArray(total, 8);
        } else {
            DoubleVector a0 = zero;
            DoubleVector a1 = zero;
            DoubleVector a2 = zero;
            DoubleVector a3 = zero;
            for (int g = 0; g < main; g += 16) {
                a0 = a0.add(DoubleVector.fromArray(DS, x, off + g));
                a1 = a1.add(DoubleVector.fromArray(DS, x, off + g + 4));
                a2 = a2.add(DoubleVector.fromArray(DS, x, off + g + 8));
                a3 = a3.add(DoubleVector.fromArray(DS, x, off + g + 12));
            }
            a0.intoArray(total, 0);
            a1.intoArray(total, 4);
            a2.intoArray(total, 8);
            a3.intoArray(total, 12);
        }
        return DoubleKernels.finish(total, x, off + main, n - main);
    }

    /** {@code acc[oa + i] = op.combine(acc[oa + i], x[ox + i])}, as {@link FloatKernels#accumulate}. */
    static void accumulate(ReduceOp op, int n, float[] x, int ox, float[] acc, int oa) {
        int bound = FS.loopBound(n);
        int i = 0;
        switch (op) {
            case SUM -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, acc, oa + i).add(FloatVector.fromArray(FS, x, ox + i)).intoArray(acc, oa + i);
                }
            }
            case MAX -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, acc, oa + i).max(FloatVector.fromArray(FS, x, ox + i)).intoArray(acc, oa + i);
                }
            }
            case MIN -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, acc, oa + i).min(FloatVector.fromArray(FS, x, ox + i)).intoArray(acc, oa + i);
                }
            }
        }
        FloatKernels.accumulateScalar(op, n - i, x, ox + i, acc, oa + i);
    }

    static void accumulate(ReduceOp op, int n, double[] x, int ox, double[] acc, int oa) {
        int bound = DS.loopBound(n);
        int i = 0;
        switch (op) {
            case SUM -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, acc, oa + i).add(DoubleVector.fromArray(DS, x, ox + i)).intoArray(acc, oa + i);
                }
            }
            case MAX -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, acc, oa + i).max(DoubleVector.fromArray(DS, x, ox + i)).intoArray(acc, oa + i);
                }
            }
            case MIN -> {
                for (; i < bound; i += DL) {
                    DoubleVector.fromArray(DS, acc, oa + i).min(DoubleVector.fromArray(DS, x, ox + i)).intoArray(acc, oa + i);
                }
            }
        }
        DoubleKernels.accumulateScalar(op, n - i, x, ox + i, acc, oa + i);
    }

    /** Max or min of a non-empty run; NaN when any element is NaN. */
    static float extreme(ReduceOp op, float[] x, int off, int n) {
        if (n < FL) {
            return FloatKernels.extremeScalar(op, x, off, n);
        }
        int bound = FS.loopBound(n);
        FloatVector r = FloatVector.fromArray(FS, x, off);
        float s;
        if (op == ReduceOp.MAX) {
            for (int i = FL; i < bound; i += FL) {
                r = r.max(FloatVector.fromArray(FS, x, off + i));
            }
            s = r.reduceLanes(VectorOperators.MAX);
        } else {
            for (int i = FL; i < bound; i += FL) {
                r = r.min(FloatVector.fromArray(FS, x, off + i));
            }
            s = r.reduceLanes(VectorOperators.MIN);
        }
        if (bound < n) {
            float t = FloatKernels.extremeScalar(op, x, off + bound, n - bound);
            s = op == ReduceOp.MAX ? Math.max(s, t) : Math.min(s, t);
        }
        return s != s ? Float.NaN : s;
    }

    static double extreme(ReduceOp op, double[] x, int off, int n) {
        if (n < DL) {
            return DoubleKernels.extremeScalar(op, x, off, n);
        }
        int bound = DS.loopBound(n);
        DoubleVector r = DoubleVector.fromArray(DS, x, off);
        double s;
        if (op == ReduceOp.MAX) {
            for (int i = DL; i < bound; i += DL) {
                r = r.max(DoubleVector.fromArray(DS, x, off + i));
            }
            s = r.reduceLanes(VectorOperators.MAX);
        } else {
            for (int i = DL; i < bound; i += DL) {
                r = r.min(DoubleVector.fromArray(DS, x, off + i));
            }
            s = r.reduceLanes(VectorOperators.MIN);
        }
        if (bound < n) {
            double t = DoubleKernels.extremeScalar(op, x, off + bound, n - bound);
            s = op == ReduceOp.MAX ? Math.max(s, t) : Math.min(s, t);
        }
        return s != s ? Double.NaN : s;
    }
}
