package io.torus.tensor;

import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.ReduceOp;

/**
 * PyTorch's creation functions on {@link NDArray}s: ranges, identity matrices and random draws.
 *
 * <p>Ranges follow PyTorch to the element. {@link #arange} excludes its end and has
 * {@code ceil((end - start) / step)} elements, element {@code i} being {@code start + i * step}
 * computed in double. {@link #linspace} includes both ends and, like PyTorch's CPU kernel, fills
 * its first half forwards from {@code start} and its second half backwards from {@code end}, so
 * both ends are exact; {@link #logspace} raises {@code base} to the same sequence.
 *
 * <p>Random functions never loop over a Java random source: they reserve counter values of a
 * {@link Generator} and let the device's backend fill the array (Note [Random fills] in
 * {@link io.torus.tensor.backend.Backend}), so the numbers depend only on the seed, never on
 * the thread count or the device. Derived draws are compositions: normal with tensor mean and
 * std is {@code mean + std * N(0, 1)}, and {@link #randperm} is a Fisher-Yates shuffle whose
 * swap {@code i} uses counter {@code base + i}. Arguments are checked here, and errors name the
 * function and the offending values.
 */
public final class Creation {
    private Creation() {
    }

    // ------------------------------------------------------------ ranges

    /** {@code start, start + step, ...} below {@code end} (end excluded). */
    public static NDArray arange(double start, double end, double step, DType dtype) {
        if (!Double.isFinite(start) || !Double.isFinite(end) || !Double.isFinite(step)) {
            throw new IllegalArgumentException("arange: unsupported range " + start + " -> " + end + " with step " + step);
        }
        if (step == 0) {
            throw new IllegalArgumentException("arange: step must be nonzero");
        }
        if ((end - start) / step < 0) {
            throw new IllegalArgumentException("arange: upper bound " + end + " and lower bound " + start
                    + " are inconsistent with step sign (step " + step + ")");
        }
        double size = Math.ceil((end - start) / step);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("arange: " + start + " -> " + end + " with step " + step + " has "
                    + (long) size + " elements, more than an array can hold");
        }
        int n = (int) size;
        NDArray a = NDArray.empty(dtype, n);
        for (int i = 0; i < n; i++) {
            a.setDouble(i, start + i * step);
        }
        return a;
    }

    /** {@code steps} values evenly spaced from {@code start} to {@code end}, both included. */
    public static NDArray linspace(double start, double end, int steps, DType dtype) {
        return spaced("linspace", start, end, steps, Double.NaN, dtype);
    }

    /** {@code base} raised to {@code steps} values evenly spaced from {@code start} to {@code end}. */
    public static NDArray logspace(double start, double end, int steps, double base, DType dtype) {
        return spaced("logspace", start, end, steps, base, dtype);
    }

    /** linspace, or logspace when {@code base} is a number. */
    private static NDArray spaced(String op, double start, double end, int steps, double base, DType dtype) {
        if (steps < 0) {
            throw new IllegalArgumentException(op + ": number of steps must be non-negative, got " + steps);
        }
        NDArray a = NDArray.empty(dtype, steps);
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        int half = steps / 2;
        for (int i = 0; i < steps; i++) {
            double v = i < half ? start + step * i : end - step * (steps - 1 - i);
            if (steps == 1) {
                v = start;
            }
            a.setDouble(i, Double.isNaN(base) ? v : Math.pow(base, v));
        }
        return a;
    }

    /** An {@code n x m} matrix with ones on the diagonal. */
    public static NDArray eye(int n, int m, DType dtype) {
        if (n < 0 || m < 0) {
            throw new IllegalArgumentException("eye: n and m must be >= 0, got n=" + n + ", m=" + m);
        }
        NDArray a = NDArray.zeros(dtype, n, m);
        NDArray diagonal = new NDArray(a.storage(), new int[] {Math.min(n, m)}, new int[] {m + 1}, a.offset());
        a.backend().fill(diagonal, 1);
        return a;
    }

    // ------------------------------------------------------------ random

    /** Integers uniform in [low, high) (high excluded). */
    public static NDArray randint(Generator gen, long low, long high, DType dtype, int... shape) {
        if (low >= high) {
            throw new IllegalArgumentException("randint: expected low < high, got low=" + low + ", high=" + high);
        }
        NDArray a = NDArray.empty(dtype, shape);
        a.backend().randint(a, gen, low, high);
        return a;
    }

    /** A random permutation of {@code 0 .. n-1} (INT64). */
    public static NDArray randperm(Generator gen, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("randperm: n must be non-negative, got " + n);
        }
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        long base = gen.reserve(n);
        for (int i = n - 1; i > 0; i--) {
            int j = (int) (gen.uniform(base + i) * (i + 1));
            long tmp = p[i];
            p[i] = p[j];
            p[j] = tmp;
        }
        return NDArray.of(p, n);
    }

    /** 1 with probability {@code p[i]}, else 0, in p's dtype and shape. */
    public static NDArray bernoulli(Generator gen, NDArray p) {
        if (!p.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("bernoulli: probabilities must be floating point, got " + p.dtype()
                    + " " + Shape.str(p.shape()));
        }
        if (p.numel() > 0) {
            double lo = p.reduce(ReduceOp.MIN, new int[0], false).item();
            double hi = p.reduce(ReduceOp.MAX, new int[0], false).item();
            if (!(lo >= 0 && hi <= 1)) {
                throw new IllegalArgumentException("bernoulli: probabilities must be in [0, 1], got values from " + lo
                        + " to " + hi + " in a tensor of shape " + Shape.str(p.shape()));
            }
        }
        NDArray out = NDArray.empty(p.dtype(), p.shape());
        out.backend().bernoulli(p, out, gen);
        return out;
    }

    /** Normal draws with elementwise {@code mean} and {@code std}, broadcast against each other. */
    public static NDArray normal(Generator gen, NDArray mean, NDArray std) {
        checkStd(std);
        int[] shape = Shape.broadcast(mean.shape(), std.shape(), "normal");
        DType dt = TypePromotion.resultType(mean, std);
        return standard(gen, dt, shape).binary(BinaryOp.MUL, std).binary(BinaryOp.ADD, mean);
    }

    /** Normal draws with elementwise {@code mean} and one {@code std}, in mean's shape. */
    public static NDArray normal(Generator gen, NDArray mean, double std) {
        checkStd(std);
        return standard(gen, mean.dtype(), mean.shape()).binary(BinaryOp.MUL, std).binary(BinaryOp.ADD, mean);
    }

    /** Normal draws with one {@code mean} and elementwise {@code std}, in std's shape. */
    public static NDArray normal(Generator gen, double mean, NDArray std) {
        checkStd(std);
        return standard(gen, std.dtype(), std.shape()).binary(BinaryOp.MUL, std).binary(BinaryOp.ADD, mean);
    }

    /** N(0, 1) draws in {@code dtype} when floating point, else in the default FLOAT32. */
    private static NDArray standard(Generator gen, DType dtype, int[] shape) {
        return NDArray.normal(gen, 0, 1, dtype.isFloatingPoint() ? dtype : DType.FLOAT32, shape);
    }

    private static void checkStd(double std) {
        if (!(std >= 0)) {
            throw new IllegalArgumentException("normal: std must be >= 0, got " + std);
        }
    }

    private static void checkStd(NDArray std) {
        if (std.numel() > 0) {
            double lo = std.reduce(ReduceOp.MIN, new int[0], false).item();
            if (!(lo >= 0)) {
                throw new IllegalArgumentException("normal: every std must be >= 0, got " + lo + " in a tensor of shape "
                        + Shape.str(std.shape()));
            }
        }
    }
}
