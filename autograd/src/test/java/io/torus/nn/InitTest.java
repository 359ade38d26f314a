package io.torus.nn;

import io.torus.autograd.Tensor;
import io.torus.tensor.DType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gains exactly, the fans, and the statistics of what each initialiser draws on large tensors. */
class InitTest {

    /** Mean, variance (population), min and max of a tensor's values. */
    record Stats(double mean, double var, double min, double max) {
        static Stats of(Tensor t) {
            double[] v = t.toDoubleArray();
            double mean = 0;
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (double x : v) {
                mean += x;
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
            mean /= v.length;
            double var = 0;
            for (double x : v) {
                var += (x - mean) * (x - mean);
            }
            return new Stats(mean, var / v.length, min, max);
        }
    }

    /** Asserts U(-bound, bound): inside the bounds, close to them, mean 0 and variance bound²/3 (within 6 standard errors). */
    private static void assertUniform(Tensor t, double bound) {
        Stats s = Stats.of(t);
        double n = t.numel();
        assertTrue(s.min() >= -bound && s.max() <= bound, s + " outside ±" + bound);
        assertTrue(s.max() > 0.99 * bound && s.min() < -0.99 * bound, s + " does not reach ±" + bound);
        double var = bound * bound / 3;
        assertEquals(0, s.mean(), 6 * Math.sqrt(var / n), "mean of " + s);
        assertEquals(var, s.var(), 6 * var * Math.sqrt(0.8 / n), "variance of " + s); // a uniform's kurtosis is 9/5
    }

    /** Asserts N(0, std²): mean and variance within 6 standard errors. */
    private static void assertNormal(Tensor t, double std) {
        Stats s = Stats.of(t);
        double n = t.numel();
        assertEquals(0, s.mean(), 6 * std / Math.sqrt(n), "mean of " + s);
        assertEquals(std * std, s.var(), 6 * std * std * Math.sqrt(2 / n), "variance of " + s);
    }

    @Test
    void calculateGain_pyTorchsValuesExactly() {
        for (String linear : new String[] {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                "conv_transpose3d", "sigmoid"}) {
            assertEquals(1.0, Init.calculateGain(linear), linear);
        }
        assertEquals(5.0 / 3, Init.calculateGain("tanh"));
        assertEquals(Math.sqrt(2.0), Init.calculateGain("relu"));
        assertEquals(Math.sqrt(2.0 / (1 + 0.01 * 0.01)), Init.calculateGain("leaky_relu"));
        assertEquals(Math.sqrt(2.0 / (1 + 0.2 * 0.2)), Init.calculateGain("leaky_relu", 0.2));
        assertEquals(Math.sqrt(2.0 / 6), Init.calculateGain("leaky_relu", Math.sqrt(5)), 1e-15);
        assertEquals(0.75, Init.calculateGain("selu"));
        assertEquals(Math.sqrt(2.0), Init.calculateGain("relu", 0.5), "the parameter only matters for leaky_relu");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Init.calculateGain("gelu"));
        assertTrue(e.getMessage().contains("unsupported nonlinearity 'gelu'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Init.calculateGain("leaky_relu", Double.NaN));
    }

    @Test
    void fans_linearAndConvolutionWeights() {
        assertEquals(new Init.Fans(4, 3), Init.fans(Tensor.zeros(3, 4)));
        assertEquals(new Init.Fans(3 * 25, 8 * 25), Init.fans(Tensor.zeros(8, 3, 5, 5)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Init.fans(Tensor.zeros(5)));
        assertTrue(e.getMessage().contains("fewer than 2 dimensions") && e.getMessage().contains("[5]"), e.getMessage());
    }

    @Test
    void uniformNormal_statisticsAndValidation() {
        Tensor.manualSeed(1);
        Tensor t = Tensor.zeros(200_000);
        assertSame(t, Init.uniform_(t, -3, 5));
        Stats s = Stats.of(t);
        assertTrue(s.min() >= -3 && s.max() < 5, s.toString());
        assertEquals(1, s.mean(), 0.02);
        assertEquals(64.0 / 12, s.var(), 0.05);
        assertSame(t, Init.normal_(t, 2, 0.5));
        s = Stats.of(t);
        assertEquals(2, s.mean(), 0.005);
        assertEquals(0.25, s.var(), 0.005);
        Init.uniform_(t);
        assertTrue(Stats.of(t).min() >= 0 && Stats.of(t).max() < 1);
        assertThrows(IllegalArgumentException.class, () -> Init.uniform_(t, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Init.normal_(t, 0, -1));
        IllegalArgumentException integer = assertThrows(IllegalArgumentException.class,
                () -> Init.kaimingUniform_(Tensor.zeros(DType.INT64, 3, 3)));
        assertTrue(integer.getMessage().contains("uniform_") && integer.getMessage().contains("INT64 [3, 3]"), integer.getMessage());
    }

    @Test
    void constantOnesZerosEye() {
        Tensor t = Tensor.zeros(2, 3);
        assertArrayEquals(new float[] {7, 7, 7, 7, 7, 7}, Init.constant_(t, 7).toFloatArray());
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, Init.ones_(t).toFloatArray());
        assertArrayEquals(new float[6], Init.zeros_(t).toFloatArray());
        assertArrayEquals(new float[] {1, 0, 0, 0, 1, 0}, Init.eye_(Tensor.full(new int[] {2, 3}, 5)).toFloatArray());
        assertArrayEquals(new double[] {1, 0, 0, 1, 0, 0}, Init.eye_(Tensor.zeros(DType.FLOAT64, 3, 2)).toDoubleArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Init.eye_(Tensor.zeros(2, 2, 2)));
        assertTrue(e.getMessage().contains("2 dimensions") && e.getMessage().contains("[2, 2, 2]"), e.getMessage());
    }

    @Test
    void initialisers_writeIntoParametersWithoutAGraph() {
        Parameter p = new Parameter(Tensor.zeros(30, 20));
        int before = p.data().version();
        assertSame(p, Init.xavierUniform_(p));
        assertTrue(p.isLeaf() && p.requiresGrad());
        assertNull(p.gradFn());
        assertTrue(p.data().version() > before, "the storage version is bumped");
        Init.orthogonal_(p);
        Init.kaimingNormal_(p);
        Init.sparse_(p, 0.5);
        Init.eye_(p);
        assertTrue(p.isLeaf());
    }

    @Test
    void xavier_boundsAndVariance() {
        Tensor.manualSeed(2);
        Tensor w = Tensor.zeros(300, 500);
        Init.xavierUniform_(w, 2);
        assertUniform(w, 2 * Math.sqrt(6.0 / 800));
        Init.xavierNormal_(w);
        assertNormal(w, Math.sqrt(2.0 / 800));
        Tensor conv = Tensor.zeros(64, 32, 3, 3); // fans 288 and 576
        Init.xavierNormal_(conv, 0.5);
        assertNormal(conv, 0.5 * Math.sqrt(2.0 / (288 + 576)));
    }

    @Test
    void kaiming_boundsAndVarianceForEachModeAndNonlinearity() {
        Tensor.manualSeed(3);
        Tensor w = Tensor.zeros(256, 512);
        Init.kaimingUniform_(w, 0, FanMode.FAN_IN, "relu");
        assertUniform(w, Math.sqrt(3.0) * Math.sqrt(2.0) / Math.sqrt(512));
        Init.kaimingUniform_(w, 0, FanMode.FAN_OUT, "relu");
        assertUniform(w, Math.sqrt(3.0) * Math.sqrt(2.0) / Math.sqrt(256));
        Init.kaimingUniform_(w, Math.sqrt(5));
        assertUniform(w, 1 / Math.sqrt(512)); // Linear's and Conv2d's default
        Init.kaimingNormal_(w, 0, FanMode.FAN_OUT, "tanh");
        assertNormal(w, 5.0 / 3 / Math.sqrt(256));
        Init.kaimingNormal_(w);
        assertNormal(w, Math.sqrt(2.0) / Math.sqrt(512)); // leaky_relu with a = 0 is ReLU's gain
        Tensor conv = Tensor.zeros(128, 64, 3, 3);
        Init.kaimingNormal_(conv, 0.1, FanMode.FAN_IN, "leaky_relu");
        assertNormal(conv, Math.sqrt(2.0 / 1.01) / Math.sqrt(64 * 9));
        Tensor empty = Tensor.zeros(0, 3);
        assertSame(empty, Init.kaimingUniform_(empty));
        assertThrows(IllegalArgumentException.class, () -> Init.kaimingUniform_(Tensor.zeros(4)));
    }

    @Test
    void linearDefaultInit_isKaimingUniformSqrt5() {
        Tensor.manualSeed(4);
        Linear l = new Linear(400, 300);
        assertUniform(l.weight(), 1 / Math.sqrt(400));
        Stats b = Stats.of(l.bias());
        assertTrue(b.min() >= -0.05 && b.max() <= 0.05, b.toString());
    }

    /** max |(a aᵀ or aᵀ a) - gain² I| over the smaller Gram matrix of a rows x cols matrix. */
    private static double orthogonalityError(double[] a, int rows, int cols, double gain) {
        boolean rowsOrthonormal = rows <= cols;
        int k = rowsOrthonormal ? rows : cols;
        double worst = 0;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                double dot = 0;
                for (int m = 0; m < (rowsOrthonormal ? cols : rows); m++) {
                    dot += rowsOrthonormal ? a[i * cols + m] * a[j * cols + m] : a[m * cols + i] * a[m * cols + j];
                }
                worst = Math.max(worst, Math.abs(dot - (i == j ? gain * gain : 0)));
            }
        }
        return worst;
    }

    @Test
    void orthogonal_tallWideAndConvolutionShapes() {
        Tensor.manualSeed(5);
        Tensor tall = Init.orthogonal_(Tensor.zeros(DType.FLOAT64, 40, 12));
        assertTrue(orthogonalityError(tall.toDoubleArray(), 40, 12, 1) < 1e-12, "QᵀQ = I");
        Tensor wide = Init.orthogonal_(Tensor.zeros(12, 40), 2);
        assertTrue(orthogonalityError(wide.toDoubleArray(), 12, 40, 2) < 1e-5, "QQᵀ = 4I");
        Tensor square = Init.orthogonal_(Tensor.zeros(DType.FLOAT64, 16, 16));
        assertTrue(orthogonalityError(square.toDoubleArray(), 16, 16, 1) < 1e-12);
        Tensor conv = Init.orthogonal_(Tensor.zeros(DType.FLOAT64, 4, 2, 3, 3)); // read as 4 x 18
        assertTrue(orthogonalityError(conv.toDoubleArray(), 4, 18, 1) < 1e-12);
        Tensor again = Init.orthogonal_(Tensor.zeros(DType.FLOAT64, 40, 12));
        assertTrue(Math.abs(again.toDoubleArray()[0] - tall.toDoubleArray()[0]) > 0, "a fresh draw each time");
        assertThrows(IllegalArgumentException.class, () -> Init.orthogonal_(Tensor.zeros(5)));
    }

    @Test
    void orthogonal_signFixGivesPositiveDiagonalR() {
        // Q's columns are signed so that R = Qᵀ A has a positive diagonal, which makes the factorisation unique:
        // the identity gives Q = I, and diag(-2, -3) gives Q = -I with R = diag(2, 3)
        double[][] identity = {{1, 0}, {0, 1}, {0, 0}};
        double[][] q = Init.HouseholderQr.signFixedQ(identity);
        assertArrayEquals(new double[] {1, 0}, q[0], 1e-15);
        assertArrayEquals(new double[] {0, 1}, q[1], 1e-15);
        double[][] negated = {{-2, 0}, {0, -3}, {0, 0}};
        double[][] qn = Init.HouseholderQr.signFixedQ(negated);
        assertArrayEquals(new double[] {-1, 0}, qn[0], 1e-15);
        assertArrayEquals(new double[] {0, -1}, qn[1], 1e-15);
    }

    @Test
    void sparse_zeroCountPerColumnAndStd() {
        Tensor.manualSeed(6);
        Tensor t = Init.sparse_(Tensor.zeros(10, 2000), 0.25, 0.5);
        float[] v = t.toFloatArray();
        double sq = 0;
        int nonZero = 0;
        for (int c = 0; c < 2000; c++) {
            int zeros = 0;
            for (int r = 0; r < 10; r++) {
                float x = v[r * 2000 + c];
                if (x == 0) {
                    zeros++;
                } else {
                    sq += x * x;
                    nonZero++;
                }
            }
            assertEquals(3, zeros, "column " + c + ": ceil(0.25 * 10) zeros");
        }
        assertEquals(0.25, sq / nonZero, 0.01);
        assertThrows(IllegalArgumentException.class, () -> Init.sparse_(Tensor.zeros(2, 2, 2), 0.1));
        assertThrows(IllegalArgumentException.class, () -> Init.sparse_(Tensor.zeros(2, 2), 1.5));
        assertArrayEquals(new float[4], Init.sparse_(Tensor.ones(2, 2), 1).toFloatArray());
    }
}
