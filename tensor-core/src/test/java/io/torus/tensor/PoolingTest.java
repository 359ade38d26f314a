package io.torus.tensor;

import io.torus.tensor.op.Pool2dParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** max and average pooling and their gradients against hand-worked values and naive loops. */
class PoolingTest {

    private static final NDArray X44 = NDArray.of(new float[] {
            1, 5, 2, 0,
            3, 4, 8, 1,
            0, 2, 7, 6,
            9, 1, 3, 5}, 1, 1, 4, 4);

    @Test
    void maxPool2d_workedValuesAndIndices() {
        NDArray[] r = X44.maxPool2dWithIndices(Pool2dParams.of(2));
        assertArrayEquals(new float[] {5, 8, 9, 7}, r[0].toFloatArray());
        assertArrayEquals(new long[] {1, 6, 12, 10}, r[1].toLongArray());
        NDArray dx = NDArray.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2).maxPool2dBackward(r[1], X44.shape(), Pool2dParams.of(2));
        assertArrayEquals(new float[] {0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 4, 0, 3, 0, 0, 0}, dx.toFloatArray());
    }

    @Test
    void maxPool2d_paddingAndDilationWorkedValues() {
        NDArray[] padded = X44.maxPool2dWithIndices(Pool2dParams.of(3, 2, 1));
        assertArrayEquals(new float[] {5, 8, 9, 8}, padded[0].toFloatArray());
        assertArrayEquals(new long[] {1, 6, 12, 6}, padded[1].toLongArray());
        NDArray[] dilated = X44.to(DType.FLOAT64).maxPool2dWithIndices(Pool2dParams.of(2, 1, 0).withDilation(2));
        assertArrayEquals(new double[] {7, 6, 9, 5}, dilated[0].toDoubleArray());
        assertArrayEquals(new long[] {10, 11, 12, 15}, dilated[1].toLongArray());
    }

    @Test
    void maxPool2d_overlappingWindowsSumTheirGradients() {
        NDArray x = NDArray.of(new float[] {1, 2, 3, 4, 9, 5, 6, 7, 8}, 1, 1, 3, 3);
        NDArray[] r = x.maxPool2dWithIndices(Pool2dParams.of(2, 1, 0));
        assertArrayEquals(new float[] {9, 9, 9, 9}, r[0].toFloatArray());
        NDArray dx = NDArray.full(DType.FLOAT32, 1, 1, 1, 2, 2).maxPool2dBackward(r[1], x.shape(), Pool2dParams.of(2, 1, 0));
        assertArrayEquals(new float[] {0, 0, 0, 0, 4, 0, 0, 0, 0}, dx.toFloatArray());
    }

    @Test
    void maxPool2d_nanPropagatesAndTheLastNanIsTheIndex() {
        // FLOAT32 2x2 windows take the unrolled path, FLOAT64 the generic loops: same rule (PyTorch's)
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            NDArray x = NDArray.of(new double[] {1, Double.NaN, 3, Double.NaN, 5, 6, 7, 8}, 2, 1, 2, 2).to(dt);
            NDArray[] r = x.maxPool2dWithIndices(Pool2dParams.of(2));
            assertTrue(Double.isNaN(r[0].getDouble(0)), dt.toString());
            assertArrayEquals(new long[] {3, 3}, r[1].toLongArray(), dt.toString());
            assertEquals(8, r[0].getDouble(1), dt.toString());
        }
    }

    @Test
    void maxPool2d_windowOfOnlyPaddingGivesMinusInfinityAndNoGradient() {
        // kernel 2 dilated by 3 with padding 1 on a 2x2 input: the one window's taps fall at -1 and 2 on both axes
        Pool2dParams p = Pool2dParams.of(2, 1, 1).withDilation(3);
        NDArray x = NDArray.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
        NDArray[] r = x.maxPool2dWithIndices(p);
        assertArrayEquals(new float[] {Float.NEGATIVE_INFINITY}, r[0].toFloatArray());
        assertArrayEquals(new long[] {-1}, r[1].toLongArray());
        assertArrayEquals(new float[4], NDArray.full(DType.FLOAT32, 1, 1, 1, 1, 1).maxPool2dBackward(r[1], x.shape(), p).toFloatArray());
    }

    @Test
    void avgPool2d_workedValuesWithAndWithoutCountingPadding() {
        assertArrayEquals(new float[] {3.25f, 2.75f, 3, 5.25f}, X44.avgPool2d(2, 2, 0).toFloatArray());
        Pool2dParams p = Pool2dParams.of(2, 2, 1);
        assertArrayEquals(new float[] {0.25f, 1.75f, 0, 0.75f, 5.25f, 1.75f, 2.25f, 1, 1.25f}, X44.avgPool2d(p).toFloatArray());
        assertArrayEquals(new float[] {1, 3.5f, 0, 1.5f, 5.25f, 3.5f, 9, 2, 5},
                X44.avgPool2d(p.withCountIncludePad(false)).toFloatArray());
        NDArray dx = NDArray.full(DType.FLOAT32, 1, 1, 1, 2, 2).avgPool2dBackward(X44.shape(), Pool2dParams.of(2));
        assertArrayEquals(filled(16, 0.25f), dx.toFloatArray());
    }

    @Test
    void pool2d_ceilModeAddsAPartialWindow() {
        NDArray x = NDArray.arange(0, 25, 1, DType.FLOAT32).view(1, 1, 5, 5);
        assertArrayEquals(new int[] {1, 1, 2, 2}, x.avgPool2d(2, 2, 0).shape());
        NDArray ceil = x.avgPool2d(Pool2dParams.of(2).withCeilMode(true));
        assertArrayEquals(new int[] {1, 1, 3, 3}, ceil.shape());
        // the last column's windows hold one column of the input: (4 + 9) / 2, and the corner is x[4][4]
        assertEquals(6.5, ceil.getDouble(2), 1e-6);
        assertEquals(24, ceil.getDouble(8), 1e-6);
        assertEquals(24, x.maxPool2d(Pool2dParams.of(2).withCeilMode(true)).getDouble(8), 1e-6);
    }

    @Test
    void pool2d_unbatchedInput() {
        NDArray x = X44.view(1, 4, 4);
        assertArrayEquals(new int[] {1, 2, 2}, x.maxPool2d(2, 2, 0).shape());
        NDArray[] r = x.maxPool2dWithIndices(Pool2dParams.of(2));
        assertArrayEquals(new int[] {1, 4, 4}, r[0].maxPool2dBackward(r[1], x.shape(), Pool2dParams.of(2)).shape());
        assertArrayEquals(new float[] {3.25f, 2.75f, 3, 5.25f}, x.avgPool2d(2, 2, 0).toFloatArray());
        assertArrayEquals(new int[] {1, 4, 4}, x.avgPool2d(2, 2, 0).avgPool2dBackward(x.shape(), Pool2dParams.of(2)).shape());
    }

    record Config(String name, int n, int c, int h, int w, Pool2dParams p) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Config> configs() {
        return Stream.of(
                new Config("2x2", 2, 3, 6, 8, Pool2dParams.of(2)),
                new Config("3x3 stride 2 padding 1", 2, 2, 7, 6, Pool2dParams.of(3, 2, 1)),
                new Config("3x3 stride 1 overlapping", 1, 2, 5, 5, Pool2dParams.of(3, 1, 1)),
                new Config("rectangular", 2, 2, 9, 7, new Pool2dParams(3, 2, 2, 1, 1, 0, 1, 1, false, true)),
                new Config("ceil mode", 2, 2, 7, 7, Pool2dParams.of(3, 2, 1).withCeilMode(true)),
                new Config("padding not counted", 1, 3, 6, 5, Pool2dParams.of(2, 1, 1).withCountIncludePad(false)),
                new Config("ceil, padding not counted", 1, 2, 6, 6, Pool2dParams.of(3, 2, 1).withCeilMode(true)
                        .withCountIncludePad(false)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void pool2d_matchesNaiveLoopsInBothDtypes(Config cfg) {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            Generator gen = new Generator(3);
            NDArray x = NDArray.uniform(gen, -1, 1, dt, cfg.n, cfg.c, cfg.h, cfg.w);
            Naive ref = new Naive(x, cfg.p);
            NDArray g = NDArray.uniform(gen, -1, 1, dt, ref.outShape);
            ref.backward(g);
            double tol = dt == DType.FLOAT32 ? 1e-5 : 1e-12;
            NDArray[] max = x.maxPool2dWithIndices(cfg.p);
            assertArrayEquals(ref.outShape, max[0].shape(), cfg + " shape");
            assertArrayEquals(ref.max, max[0].toDoubleArray(), tol, cfg + " " + dt + " max");
            assertArrayEquals(ref.dxMax, g.maxPool2dBackward(max[1], x.shape(), cfg.p).toDoubleArray(), tol, cfg + " " + dt + " max grad");
            assertArrayEquals(ref.avg, x.avgPool2d(cfg.p).toDoubleArray(), tol, cfg + " " + dt + " avg");
            assertArrayEquals(ref.dxAvg, g.avgPool2dBackward(x.shape(), cfg.p).toDoubleArray(), tol, cfg + " " + dt + " avg grad");
        }
    }

    @Test
    void maxPool2d_dilatedMatchesNaiveLoops() {
        Pool2dParams p = Pool2dParams.of(3, 2, 1).withDilation(2);
        NDArray x = NDArray.uniform(new Generator(9), -1, 1, DType.FLOAT64, 2, 2, 9, 8);
        Naive ref = new Naive(x, p);
        NDArray g = NDArray.uniform(new Generator(10), -1, 1, DType.FLOAT64, ref.outShape);
        ref.backward(g);
        NDArray[] r = x.maxPool2dWithIndices(p);
        assertArrayEquals(ref.max, r[0].toDoubleArray(), 1e-12);
        assertArrayEquals(ref.dxMax, g.maxPool2dBackward(r[1], x.shape(), p).toDoubleArray(), 1e-12);
    }

    @Test
    void pool2d_nonContiguousInput() {
        NDArray x = NDArray.uniform(new Generator(4), -1, 1, DType.FLOAT32, 2, 7, 6, 3).permute(0, 3, 1, 2); // [2, 3, 7, 6]
        Pool2dParams p = Pool2dParams.of(3, 2, 1);
        Naive ref = new Naive(x, p);
        assertArrayEquals(ref.max, x.maxPool2d(p).toDoubleArray(), 1e-6);
        assertArrayEquals(ref.avg, x.avgPool2d(p).toDoubleArray(), 1e-6);
    }

    // ---------------------------------------------------------------- errors

    private static String error(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void pool2d_errorsNameTheOpAndTheValues() {
        NDArray x = NDArray.zeros(DType.FLOAT32, 1, 1, 2, 2);
        assertEquals("maxPool2d: kernel 3x3 is larger than the padded input 2x2 (input [1, 1, 2, 2], padding 0x0): output size 0x0"
                + " is too small", error(() -> x.maxPool2d(3, 1, 0)));
        assertEquals("avgPool2d: kernel 3x3 is larger than the padded input 2x2 (input [1, 1, 2, 2], padding 0x0): output size 0x0"
                + " is too small", error(() -> x.avgPool2d(3, 3, 0)));
        assertEquals("pool2d: padding 2x2 must be at most half of the kernel size 3x3", error(() -> x.maxPool2d(3, 1, 2)));
        assertEquals("pool2d: stride must be positive, got 0x0", error(() -> x.maxPool2d(2, 0, 0)));
        assertEquals("pool2d: kernel size must be positive, got 0x0", error(() -> x.avgPool2d(0, 1, 0)));
        assertEquals("avgPool2d: dilation is not supported, got 2x2", error(() -> x.avgPool2d(Pool2dParams.of(1).withDilation(2))));
        assertEquals("maxPool2d: expected a 3-D (unbatched) or 4-D (batched) input [N, C, H, W], got [4]",
                error(() -> x.view(4).maxPool2d(1, 1, 0)));
        assertEquals("maxPool2d: expected a FLOAT32 or FLOAT64 input, got INT64", error(() -> x.to(DType.INT64).maxPool2d(1, 1, 0)));
        NDArray[] r = X44.maxPool2dWithIndices(Pool2dParams.of(2));
        assertEquals("maxPool2dBackward: gradient [1, 1, 2, 2] and indices FLOAT32[1, 1, 2, 2] must both have the output shape"
                + " [1, 1, 2, 2] (indices INT64)", error(() -> r[0].maxPool2dBackward(r[0], X44.shape(), Pool2dParams.of(2))));
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    // ---------------------------------------------------------------- the reference

    /** PyTorch's definitions written out in double, one window at a time. */
    static final class Naive {
        final int[] outShape;
        final double[] max;
        final double[] avg;
        double[] dxMax;
        double[] dxAvg;
        private final int[] argMax;
        private final int[] inShape;
        private final Pool2dParams p;

        Naive(NDArray x, Pool2dParams p) {
            this.p = p;
            inShape = x.shape();
            outShape = p.outputShape("naive", inShape);
            double[] xs = x.toDoubleArray();
            int planes = inShape[0] * inShape[1];
            int h = inShape[2];
            int w = inShape[3];
            int oh = outShape[2];
            int ow = outShape[3];
            max = new double[planes * oh * ow];
            avg = new double[max.length];
            argMax = new int[max.length];
            for (int pl = 0; pl < planes; pl++) {
                for (int y = 0; y < oh; y++) {
                    for (int z = 0; z < ow; z++) {
                        int o = (pl * oh + y) * ow + z;
                        double best = Double.NEGATIVE_INFINITY;
                        for (int i = 0; i < p.kernelH(); i++) {
                            for (int j = 0; j < p.kernelW(); j++) {
                                int ih = y * p.strideH() - p.paddingH() + i * p.dilationH();
                                int iw = z * p.strideW() - p.paddingW() + j * p.dilationW();
                                if (ih >= 0 && ih < h && iw >= 0 && iw < w && xs[(pl * h + ih) * w + iw] > best) {
                                    best = xs[(pl * h + ih) * w + iw];
                                    argMax[o] = (pl * h + ih) * w + iw;
                                }
                            }
                        }
                        max[o] = best;
                        avg[o] = sumWindow(xs, pl, y, z) / divisor(y, z);
                    }
                }
            }
        }

        private int hStart(int y) {
            return y * p.strideH() - p.paddingH();
        }

        private int wStart(int z) {
            return z * p.strideW() - p.paddingW();
        }

        private double sumWindow(double[] xs, int pl, int y, int z) {
            double s = 0;
            for (int ih = Math.max(0, hStart(y)); ih < Math.min(inShape[2], hStart(y) + p.kernelH()); ih++) {
                for (int iw = Math.max(0, wStart(z)); iw < Math.min(inShape[3], wStart(z) + p.kernelW()); iw++) {
                    s += xs[(pl * inShape[2] + ih) * inShape[3] + iw];
                }
            }
            return s;
        }

        /** PyTorch's avg_pool2d: the window clipped to the padded input, or to the input without count_include_pad. */
        private int divisor(int y, int z) {
            int h0 = hStart(y);
            int w0 = wStart(z);
            int h1 = Math.min(h0 + p.kernelH(), inShape[2] + p.paddingH());
            int w1 = Math.min(w0 + p.kernelW(), inShape[3] + p.paddingW());
            if (p.countIncludePad()) {
                return (h1 - h0) * (w1 - w0);
            }
            return (Math.min(h1, inShape[2]) - Math.max(h0, 0)) * (Math.min(w1, inShape[3]) - Math.max(w0, 0));
        }

        void backward(NDArray gradOut) {
            double[] g = gradOut.toDoubleArray();
            int planeIn = inShape[2] * inShape[3];
            dxMax = new double[inShape[0] * inShape[1] * planeIn];
            dxAvg = new double[dxMax.length];
            int oh = outShape[2];
            int ow = outShape[3];
            for (int o = 0; o < g.length; o++) {
                dxMax[argMax[o]] += g[o];
                int pl = o / (oh * ow);
                int y = (o / ow) % oh;
                int z = o % ow;
                for (int ih = Math.max(0, hStart(y)); ih < Math.min(inShape[2], hStart(y) + p.kernelH()); ih++) {
                    for (int iw = Math.max(0, wStart(z)); iw < Math.min(inShape[3], wStart(z) + p.kernelW()); iw++) {
                        dxAvg[pl * planeIn + ih * inShape[3] + iw] += g[o] / divisor(y, z);
                    }
                }
            }
        }
    }
}
