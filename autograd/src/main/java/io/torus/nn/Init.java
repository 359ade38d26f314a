package io.torus.nn;

import io.torus.autograd.GradMode;
import io.torus.autograd.Tensor;
import io.torus.tensor.Creation;
import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;

/**
 * Parameter initialisers, as {@code torch.nn.init}. Each one writes into {@code t}'s storage in
 * place without recording a graph (so it works on a {@link Parameter}), bumps its version, and
 * returns {@code t}. Random ones draw from the global generator ({@code Tensor.manualSeed}).
 *
 * <p>The fan-based initialisers read a weight's fans as PyTorch's
 * {@code _calculate_fan_in_and_fan_out}: for a {@code [out, in]} linear weight fan-in is {@code in}
 * and fan-out {@code out}; for a {@code [out, in, k1, k2, ...]} convolution weight both are
 * multiplied by the receptive field {@code k1 * k2 * ...}.
 *
 * <ul>
 * <li>Xavier/Glorot: {@code std = gain * sqrt(2 / (fanIn + fanOut))}.</li>
 * <li>Kaiming/He: {@code std = gain / sqrt(fan)}, with {@code fan} picked by {@link FanMode} and
 * {@code gain = calculateGain(nonlinearity, a)}.</li>
 * <li>A uniform draw with standard deviation {@code std} has bound {@code sqrt(3) * std}.</li>
 * </ul>
 */
public final class Init {
    private Init() {
    }

    /** A weight's fan-in and fan-out (see the class comment). */
    public record Fans(long fanIn, long fanOut) {
        public long of(FanMode mode) {
            return mode == FanMode.FAN_IN ? fanIn : fanOut;
        }
    }

    // ------------------------------------------------------------------ gains and fans

    /**
     * The recommended gain for a nonlinearity, as PyTorch's {@code calculate_gain}: 1 for
     * {@code linear}, {@code conv1d/2d/3d}, {@code conv_transpose1d/2d/3d} and {@code sigmoid};
     * 5/3 for {@code tanh}; √2 for {@code relu}; √(2 / (1 + 0.01²)) for {@code leaky_relu}; 3/4
     * for {@code selu}.
     */
    public static double calculateGain(String nonlinearity) {
        return gain(nonlinearity, LeakyReLU.DEFAULT_NEGATIVE_SLOPE);
    }

    /** As {@link #calculateGain(String)}; {@code param} is {@code leaky_relu}'s negative slope and is ignored otherwise. */
    public static double calculateGain(String nonlinearity, double param) {
        return gain(nonlinearity, param);
    }

    private static double gain(String nonlinearity, double negativeSlope) {
        if (nonlinearity == null) {
            throw new IllegalArgumentException("calculateGain: nonlinearity must not be null");
        }
        return switch (nonlinearity) {
            case "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                    "sigmoid" -> 1;
            case "tanh" -> 5.0 / 3;
            case "relu" -> Math.sqrt(2.0);
            case "leaky_relu" -> {
                if (!Double.isFinite(negativeSlope)) {
                    throw new IllegalArgumentException("calculateGain: negative_slope " + negativeSlope + " not a valid number");
                }
                yield Math.sqrt(2.0 / (1 + negativeSlope * negativeSlope));
            }
            case "selu" -> 3.0 / 4;
            default -> throw new IllegalArgumentException("calculateGain: unsupported nonlinearity '" + nonlinearity
                    + "'; expected one of linear, conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,"
                    + " conv_transpose3d, sigmoid, tanh, relu, leaky_relu, selu");
        };
    }

    /** {@code t}'s fan-in and fan-out; {@code t} needs at least 2 dims. */
    public static Fans fans(Tensor t) {
        int[] s = t.shape();
        if (s.length < 2) {
            throw new IllegalArgumentException("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions,"
                    + " got " + Shape.str(s));
        }
        long receptive = 1;
        for (int i = 2; i < s.length; i++) {
            receptive *= s[i];
        }
        return new Fans((long) s[1] * receptive, (long) s[0] * receptive);
    }

    // ------------------------------------------------------------------ plain fills and draws

    /** Uniform draws in [0, 1). */
    /**
     * PyTorch's default initialisation of {@link Linear} and {@link Conv2d}: the weight Kaiming-uniform
     * with a = √5 (that is U(±1/√fanIn)) and the bias, when present, U(±1/√fanIn).
     */
    static void layerDefaults_(Tensor weight, Tensor bias) {
        kaimingUniform_(weight, Math.sqrt(5), FanMode.FAN_IN, "leaky_relu");
        if (bias != null) {
            double bound = 1 / Math.sqrt(fans(weight).fanIn());
            uniform_(bias, -bound, bound);
        }
    }

    public static Tensor uniform_(Tensor t) {
        return uniform_(t, 0, 1);
    }

    /** Uniform draws in [a, b). */
    public static Tensor uniform_(Tensor t, double a, double b) {
        requireFloating("uniform_", t);
        if (!(a <= b)) {
            throw new IllegalArgumentException("uniform_: expects a [from, to) range, but found from=" + a + " > to=" + b);
        }
        try (GradMode.Scope s = GradMode.noGrad()) {
            t.data().uniform_(Generator.global(), a, b);
        }
        return t;
    }

    /** Standard normal draws. */
    public static Tensor normal_(Tensor t) {
        return normal_(t, 0, 1);
    }

    public static Tensor normal_(Tensor t, double mean, double std) {
        requireFloating("normal_", t);
        if (!(std >= 0)) {
            throw new IllegalArgumentException("normal_: std must be >= 0, got " + std);
        }
        try (GradMode.Scope s = GradMode.noGrad()) {
            t.data().normal_(Generator.global(), mean, std);
        }
        return t;
    }

    public static Tensor constant_(Tensor t, double v) {
        try (GradMode.Scope s = GradMode.noGrad()) {
            t.data().fill_(v);
        }
        return t;
    }

    public static Tensor zeros_(Tensor t) {
        return constant_(t, 0);
    }

    public static Tensor ones_(Tensor t) {
        return constant_(t, 1);
    }

    /** The identity matrix (ones on the diagonal of a 2-D tensor, which need not be square). */
    public static Tensor eye_(Tensor t) {
        if (t.dim() != 2) {
            throw new IllegalArgumentException("eye_: only tensors with 2 dimensions are supported, got " + Shape.str(t.shape()));
        }
        return write(t, Creation.eye(t.shape()[0], t.shape()[1], t.dtype()));
    }

    // ------------------------------------------------------------------ Xavier and Kaiming

    public static Tensor xavierUniform_(Tensor t) {
        return xavierUniform_(t, 1);
    }

    /** Uniform in {@code ±gain·sqrt(6 / (fanIn + fanOut))} (Glorot & Bengio, 2010). */
    public static Tensor xavierUniform_(Tensor t, double gain) {
        Fans f = fans(t);
        double std = gain * Math.sqrt(2.0 / (f.fanIn() + f.fanOut()));
        double bound = Math.sqrt(3.0) * std;
        return uniform_(t, -bound, bound);
    }

    public static Tensor xavierNormal_(Tensor t) {
        return xavierNormal_(t, 1);
    }

    /** Normal with mean 0 and {@code std = gain·sqrt(2 / (fanIn + fanOut))}. */
    public static Tensor xavierNormal_(Tensor t, double gain) {
        Fans f = fans(t);
        return normal_(t, 0, gain * Math.sqrt(2.0 / (f.fanIn() + f.fanOut())));
    }

    /** PyTorch's defaults: {@code a = 0}, fan-in, {@code leaky_relu} (which with slope 0 is ReLU's √2). */
    public static Tensor kaimingUniform_(Tensor t) {
        return kaimingUniform_(t, 0, FanMode.FAN_IN, "leaky_relu");
    }

    public static Tensor kaimingUniform_(Tensor t, double a) {
        return kaimingUniform_(t, a, FanMode.FAN_IN, "leaky_relu");
    }

    /**
     * Uniform in {@code ±sqrt(3)·gain / sqrt(fan)} with {@code gain = calculateGain(nonlinearity, a)}
     * (He et al., 2015). A zero-element tensor is left as it is. {@code Linear} and {@code Conv2d}
     * initialise their weights with {@code a = √5}, which gives the bound {@code 1 / sqrt(fanIn)}.
     */
    public static Tensor kaimingUniform_(Tensor t, double a, FanMode mode, String nonlinearity) {
        if (t.numel() == 0) {
            return t;
        }
        double bound = Math.sqrt(3.0) * kaimingStd(t, a, mode, nonlinearity);
        return uniform_(t, -bound, bound);
    }

    public static Tensor kaimingNormal_(Tensor t) {
        return kaimingNormal_(t, 0, FanMode.FAN_IN, "leaky_relu");
    }

    public static Tensor kaimingNormal_(Tensor t, double a) {
        return kaimingNormal_(t, a, FanMode.FAN_IN, "leaky_relu");
    }

    /** Normal with mean 0 and {@code std = gain / sqrt(fan)}. A zero-element tensor is left as it is. */
    public static Tensor kaimingNormal_(Tensor t, double a, FanMode mode, String nonlinearity) {
        if (t.numel() == 0) {
            return t;
        }
        return normal_(t, 0, kaimingStd(t, a, mode, nonlinearity));
    }

    private static double kaimingStd(Tensor t, double a, FanMode mode, String nonlinearity) {
        if (mode == null) {
            throw new IllegalArgumentException("kaiming init: mode must be FAN_IN or FAN_OUT, got null");
        }
        return calculateGain(nonlinearity, a) / Math.sqrt(fans(t).of(mode));
    }

    // ------------------------------------------------------------------ orthogonal and sparse

    public static Tensor orthogonal_(Tensor t) {
        return orthogonal_(t, 1);
    }

    /**
     * A (semi-)orthogonal matrix times {@code gain} (Saxe et al., 2013), as PyTorch: {@code t} is
     * read as {@code rows = shape[0]} by {@code cols = numel / rows}; a standard normal matrix of
     * that shape (transposed when {@code rows < cols}) is factored {@code QR}, and {@code Q}'s
     * columns are multiplied by the signs of {@code R}'s diagonal, which makes the result the
     * unique {@code Q} of a positive-diagonal {@code R} (uniformly distributed). Rows are orthonormal
     * when {@code rows <= cols}, columns otherwise. The factorisation runs in double.
     */
    public static Tensor orthogonal_(Tensor t, double gain) {
        requireFloating("orthogonal_", t);
        if (t.dim() < 2) {
            throw new IllegalArgumentException("orthogonal_: only tensors with 2 or more dimensions are supported, got "
                    + Shape.str(t.shape()));
        }
        if (t.numel() == 0) {
            return t;
        }
        int rows = t.shape()[0];
        int cols = (int) (t.numel() / rows);
        double[] a = NDArray.normal(Generator.global(), 0, 1, DType.FLOAT64, rows, cols).toDoubleArray();
        boolean transposed = rows < cols;
        int m = transposed ? cols : rows;
        int n = transposed ? rows : cols;
        double[][] mat = new double[m][n];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                if (transposed) {
                    mat[j][i] = a[i * cols + j];
                } else {
                    mat[i][j] = a[i * cols + j];
                }
            }
        }
        double[][] q = HouseholderQr.signFixedQ(mat);
        double[] out = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[i * cols + j] = gain * (transposed ? q[j][i] : q[i][j]);
            }
        }
        return write(t, NDArray.of(out, t.shape()));
    }

    public static Tensor sparse_(Tensor t, double sparsity) {
        return sparse_(t, sparsity, 0.01);
    }

    /**
     * Normal draws with mean 0 and {@code std}, then, in each column of the 2-D {@code t},
     * {@code ceil(sparsity * rows)} rows picked at random set to zero (Martens, 2010).
     */
    public static Tensor sparse_(Tensor t, double sparsity, double std) {
        requireFloating("sparse_", t);
        if (t.dim() != 2) {
            throw new IllegalArgumentException("sparse_: only tensors with 2 dimensions are supported, got "
                    + Shape.str(t.shape()));
        }
        if (!(sparsity >= 0 && sparsity <= 1)) {
            throw new IllegalArgumentException("sparse_: sparsity must be in [0, 1], got " + sparsity);
        }
        if (!(std >= 0)) {
            throw new IllegalArgumentException("sparse_: std must be >= 0, got " + std);
        }
        int rows = t.shape()[0];
        int cols = t.shape()[1];
        int zeros = (int) Math.ceil(sparsity * rows);
        NDArray values = NDArray.normal(Generator.global(), 0, std, t.dtype(), rows, cols);
        for (int c = 0; c < cols; c++) {
            long[] perm = Creation.randperm(Generator.global(), rows).toLongArray();
            for (int k = 0; k < zeros; k++) {
                values.setDouble(perm[k] * cols + c, 0);
            }
        }
        return write(t, values);
    }

    private static void requireFloating(String op, Tensor t) {
        if (!t.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": expected a floating-point tensor, got " + t.dtype() + " "
                    + Shape.str(t.shape()));
        }
    }

    /** Copies {@code values} into {@code t}'s storage (bumping its version) without recording a graph. */
    private static Tensor write(Tensor t, NDArray values) {
        try (GradMode.Scope s = GradMode.noGrad()) {
            t.data().copy_(values);
        }
        return t;
    }

    /**
     * A thin Householder QR of an {@code m x n} matrix ({@code m >= n}), in double. Each step
     * reflects column k's sub-diagonal part onto the axis, {@code H = I - 2 v vᵀ}; {@code Q} is the
     * product of the reflections applied to the first {@code n} columns of the identity, and
     * {@code R}'s diagonal is the reflected values {@code -sign(x0) |x|}.
     */
    static final class HouseholderQr {
        private HouseholderQr() {
        }

        /** {@code Q · diag(sign(diag(R)))} of {@code a} (which is overwritten). */
        static double[][] signFixedQ(double[][] a) {
            int m = a.length;
            int n = a[0].length;
            double[][] vs = new double[n][];
            double[] rDiag = new double[n];
            for (int k = 0; k < n; k++) {
                double norm = 0;
                for (int i = k; i < m; i++) {
                    norm += a[i][k] * a[i][k];
                }
                norm = Math.sqrt(norm);
                double alpha = a[k][k] > 0 ? -norm : norm;
                rDiag[k] = alpha;
                double[] v = new double[m - k];
                for (int i = k; i < m; i++) {
                    v[i - k] = a[i][k];
                }
                v[0] -= alpha;
                double vNorm = 0;
                for (double x : v) {
                    vNorm += x * x;
                }
                vNorm = Math.sqrt(vNorm);
                if (vNorm == 0) { // the column is already zero below the diagonal: no reflection
                    rDiag[k] = a[k][k];
                    continue;
                }
                for (int i = 0; i < v.length; i++) {
                    v[i] /= vNorm;
                }
                vs[k] = v;
                reflect(a, v, k, k, n);
            }
            double[][] q = new double[m][n];
            for (int j = 0; j < n; j++) {
                q[j][j] = 1;
            }
            for (int k = n - 1; k >= 0; k--) {
                if (vs[k] != null) {
                    reflect(q, vs[k], k, 0, n);
                }
            }
            for (int j = 0; j < n; j++) {
                double sign = Math.signum(rDiag[j]);
                for (int i = 0; i < m; i++) {
                    q[i][j] *= sign;
                }
            }
            return q;
        }

        /** {@code x[row0:, col0:colEnd] -= 2 v (vᵀ x[row0:, col0:colEnd])}. */
        private static void reflect(double[][] x, double[] v, int row0, int col0, int colEnd) {
            for (int j = col0; j < colEnd; j++) {
                double dot = 0;
                for (int i = 0; i < v.length; i++) {
                    dot += v[i] * x[row0 + i][j];
                }
                dot *= 2;
                for (int i = 0; i < v.length; i++) {
                    x[row0 + i][j] -= dot * v[i];
                }
            }
        }
    }
}
