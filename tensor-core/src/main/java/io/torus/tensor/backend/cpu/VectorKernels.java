package io.torus.tensor.backend.cpu;

import io.torus.tensor.op.ReduceOp;
import io.torus.tensor.op.UnaryOp;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
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

    // Note [Vectorized arithmetic]: C2 vectorizes z[oz + i] = x[ox + i] + y[oy + i] only when it can
    // prove that z does not overlap x or y at a shifted offset, which it cannot for three
    // variable offsets into arrays that may be the same one (every in-place op: b.add_(g),
    // buf = m·buf + g): then it runs scalar. Measured on 200,704 floats, hot in L2 (Sapphire Rapids
    // VM, 1 thread, medians): axpby in place 56 us scalar, 16 us with these loops; add_ 55 us. Lane
    // by lane these are the same IEEE operations as the scalar loops (a multiply, then an add: no
    // fused multiply-add), so the results are bit for bit the same. Operands never overlap except
    // exactly (out aliasing an input at the same offset), where whole-vector loads before the store
    // change nothing.

    /** {@code z[i] = x[i] op y[i]} for ADD, SUB, MUL and DIV (Note [Vectorized arithmetic]). */
    static void arithmetic(io.torus.tensor.op.BinaryOp op, int n, float[] x, int ox, float[] y, int oy, float[] z, int oz) {
        int bound = FS.loopBound(n);
        int i = 0;
        switch (op) {
            case ADD -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, ox + i).add(FloatVector.fromArray(FS, y, oy + i)).intoArray(z, oz + i);
                }
            }
            case SUB -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, ox + i).sub(FloatVector.fromArray(FS, y, oy + i)).intoArray(z, oz + i);
                }
            }
            case MUL -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, ox + i).mul(FloatVector.fromArray(FS, y, oy + i)).intoArray(z, oz + i);
                }
            }
            case DIV -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, ox + i).div(FloatVector.fromArray(FS, y, oy + i)).intoArray(z, oz + i);
                }
            }
            default -> throw new IllegalArgumentException("not arithmetic: " + op);
        }
        for (; i < n; i++) {
            z[oz + i] = op.apply(x[ox + i], y[oy + i]);
        }
    }

    /** {@code y[oy + i] += x[ox + i]} for {@code i < n} (Note [Vectorized arithmetic]), the tail without a switch. */
    static void addInto(int n, float[] x, int ox, float[] y, int oy) {
        int bound = FS.loopBound(n);
        int i = 0;
        for (; i < bound; i += FL) {
            FloatVector.fromArray(FS, x, ox + i).add(FloatVector.fromArray(FS, y, oy + i)).intoArray(y, oy + i);
        }
        for (; i < n; i++) {
            y[oy + i] += x[ox + i];
        }
    }

    /** {@code z[i] = x[i] op s} for ADD, SUB, MUL and DIV by a scalar (Note [Vectorized arithmetic]). */
    static void arithmeticScalar(io.torus.tensor.op.BinaryOp op, int n, float[] x, int ox, float s, float[] z, int oz) {
        FloatVector vs = FloatVector.broadcast(FS, s);
        int bound = FS.loopBound(n);
        int i = 0;
        switch (op) {
            case ADD -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, ox + i).add(vs).intoArray(z, oz + i);
                }
            }
            case SUB -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, ox + i).sub(vs).intoArray(z, oz + i);
                }
            }
            case MUL -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, ox + i).mul(vs).intoArray(z, oz + i);
                }
            }
            case DIV -> {
                for (; i < bound; i += FL) {
                    FloatVector.fromArray(FS, x, ox + i).div(vs).intoArray(z, oz + i);
                }
            }
            default -> throw new IllegalArgumentException("not arithmetic: " + op);
        }
        for (; i < n; i++) {
            z[oz + i] = op.apply(x[ox + i], s);
        }
    }

    /** {@code z[i] = alpha * x[i] + beta * y[i]}, each product rounded (Note [Vectorized arithmetic]). */
    static void axpby(int n, float alpha, float[] x, int ox, float beta, float[] y, int oy, float[] z, int oz) {
        FloatVector va = FloatVector.broadcast(FS, alpha);
        FloatVector vb = FloatVector.broadcast(FS, beta);
        int bound = FS.loopBound(n);
        int i = 0;
        for (; i < bound; i += FL) {
            FloatVector.fromArray(FS, x, ox + i).mul(va).add(FloatVector.fromArray(FS, y, oy + i).mul(vb)).intoArray(z, oz + i);
        }
        for (; i < n; i++) {
            z[oz + i] = alpha * x[ox + i] + beta * y[oy + i];
        }
    }

    /** The FLOAT64 twin of {@link #axpby(int, float, float[], int, float, float[], int, float[], int)}. */
    static void axpby(int n, double alpha, double[] x, int ox, double beta, double[] y, int oy, double[] z, int oz) {
        DoubleVector va = DoubleVector.broadcast(DS, alpha);
        DoubleVector vb = DoubleVector.broadcast(DS, beta);
        int bound = DS.loopBound(n);
        int i = 0;
        for (; i < bound; i += DL) {
            DoubleVector.fromArray(DS, x, ox + i).mul(va).add(DoubleVector.fromArray(DS, y, oy + i).mul(vb)).intoArray(z, oz + i);
        }
        for (; i < n; i++) {
            z[oz + i] = alpha * x[ox + i] + beta * y[oy + i];
        }
    }

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

    // ------------------------------------------------------------------------ pooling

    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final VectorSpecies<Long> L4 = LongVector.SPECIES_256;

    /** Whether {@link #maxPool2x2} runs on hardware gathers (8-lane float vectors: AVX2 or wider). */
    static boolean gathers() {
        return FL >= 8;
    }

    /**
     * Max pooling of one plane whose windows are all full 2x2 blocks: output {@code o} covers
     * {@code x[xb + at[o]]}, its right neighbour and the two below ({@code w} further); the
     * arg-max, relative to {@code xb}, goes to {@code idx}. {@code at} has {@code n} entries.
     *
     * <p>Note [Max-pool 2x2 in pairs]: the taps are compared in pairs, first within each row and
     * then the bottom row's winner against the top row's, which picks exactly the tap that
     * {@link CpuPooling}'s sequential scan (top-left, top-right, bottom-left, bottom-right; take
     * {@code v > max or v is NaN}) picks: the top pair is the scan's first two steps, the bottom
     * pair's winner is its largest value first met (or its last NaN), and it replaces the top's
     * under the scan's own rule. Eight windows at a time, their taps fetched by gathers: 7x the
     * branchy scalar loop on conv outputs after relu, where half the comparisons are ties at zero.
     */
    static void maxPool2x2(float[] x, int xb, int[] at, int n, int w, float[] out, int ob, long[] idx, int ib) {
        int bound = F8.loopBound(n);
        int o = 0;
        for (; o < bound; o += 8) {
            IntVector top = IntVector.fromArray(I8, at, o);
            FloatVector a = FloatVector.fromArray(F8, x, xb, at, o);
            FloatVector b = FloatVector.fromArray(F8, x, xb + 1, at, o);
            FloatVector c = FloatVector.fromArray(F8, x, xb + w, at, o);
            FloatVector d = FloatVector.fromArray(F8, x, xb + w + 1, at, o);
            VectorMask<Float> right = b.compare(VectorOperators.GT, a).or(b.test(VectorOperators.IS_NAN));
            FloatVector topMax = a.blend(b, right);
            IntVector topArg = top.blend(top.add(1), right.cast(I8));
            VectorMask<Float> bottomRight = d.compare(VectorOperators.GT, c).or(d.test(VectorOperators.IS_NAN));
            FloatVector bottomMax = c.blend(d, bottomRight);
            IntVector bottom = top.add(w);
            IntVector bottomArg = bottom.blend(bottom.add(1), bottomRight.cast(I8));
            VectorMask<Float> down = bottomMax.compare(VectorOperators.GT, topMax).or(bottomMax.test(VectorOperators.IS_NAN));
            topMax.blend(bottomMax, down).intoArray(out, ob + o);
            IntVector arg = topArg.blend(bottomArg, down.cast(I8));
            ((LongVector) arg.convertShape(VectorOperators.I2L, L4, 0)).intoArray(idx, ib + o);
            ((LongVector) arg.convertShape(VectorOperators.I2L, L4, 1)).intoArray(idx, ib + o + 4);
        }
        for (; o < n; o++) {
            int best = CpuPooling.argMax2x2(x, xb + at[o], w);
            out[ob + o] = x[best];
            idx[ib + o] = best - xb;
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
