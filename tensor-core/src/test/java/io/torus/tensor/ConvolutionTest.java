package io.torus.tensor;

import io.torus.tensor.op.Conv2dParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** conv2d and its gradients against hand-worked values and naive loops, in both float dtypes. */
class ConvolutionTest {

    private static final NDArray X33 = NDArray.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
    private static final NDArray W22 = NDArray.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2);

    @Test
    void conv2d_workedValues() {
        // 1*1 + 2*2 + 4*3 + 5*4 = 37, then slide by one; bias 1
        NDArray out = X33.conv2d(W22, NDArray.of(new float[] {1}, 1), 1, 0);
        assertArrayEquals(new int[] {1, 1, 2, 2}, out.shape());
        assertArrayEquals(new float[] {38, 48, 68, 78}, out.toFloatArray());
    }

    @Test
    void conv2d_workedValuesWithStrideAndPadding() {
        // padded 5x5, stride 2: the windows see x[0][0]*4, x[0][1..2]*(3, 4), x[1..2][0]*(2, 4), and a full window
        NDArray out = X33.to(DType.FLOAT64).conv2d(W22.to(DType.FLOAT64), null, 2, 1);
        assertEquals(DType.FLOAT64, out.dtype());
        assertArrayEquals(new double[] {4, 18, 36, 77}, out.toDoubleArray());
    }

    @Test
    void conv2d_gradientsWorkedValues() {
        // d(sum(out))/dw[i][j] = sum of the input under tap (i, j); d/dx counts the windows covering each pixel
        NDArray ones = NDArray.full(DType.FLOAT32, 1, 1, 1, 2, 2);
        NDArray[] g = ones.conv2dBackward(X33, W22, Conv2dParams.defaults(), true, true, true);
        assertArrayEquals(new float[] {12, 16, 24, 28}, g[1].toFloatArray());
        assertArrayEquals(new float[] {4}, g[2].toFloatArray());
        assertArrayEquals(new float[] {1, 3, 2, 4, 10, 6, 3, 7, 4}, g[0].toFloatArray());
    }

    record Config(String name, int n, int c, int h, int w, int o, int kh, int kw, Conv2dParams p, boolean bias) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Config> configs() {
        return Stream.of(
                new Config("plain", 2, 3, 6, 7, 4, 3, 3, Conv2dParams.defaults(), true),
                new Config("no bias", 2, 2, 5, 5, 3, 2, 2, Conv2dParams.defaults(), false),
                new Config("padding 2", 1, 2, 4, 5, 3, 3, 2, Conv2dParams.of(1, 2), true),
                new Config("stride 2", 3, 2, 7, 6, 2, 3, 3, Conv2dParams.of(2, 0), true),
                new Config("stride 2 padding 1", 2, 3, 7, 8, 4, 3, 3, Conv2dParams.of(2, 1), true),
                new Config("stride 3x1 padding 1x2", 2, 2, 9, 5, 3, 2, 3, new Conv2dParams(3, 1, 1, 2, 1, 1), true),
                new Config("dilation 2", 2, 2, 7, 7, 3, 3, 3, Conv2dParams.of(1, 1, 2), true),
                new Config("dilation 2x1 stride 2", 1, 3, 9, 8, 2, 2, 3, new Conv2dParams(2, 2, 0, 1, 2, 1), false),
                new Config("1x1 kernel", 2, 4, 3, 3, 5, 1, 1, Conv2dParams.defaults(), true),
                new Config("kernel fills input", 2, 2, 3, 4, 3, 3, 4, Conv2dParams.defaults(), true),
                new Config("lenet conv2 shapes", 2, 6, 12, 12, 16, 5, 5, Conv2dParams.defaults(), true),
                // one input channel (LeNet's first layer): wide columns with and without padding
                new Config("lenet conv1 shapes", 2, 1, 28, 28, 6, 5, 5, Conv2dParams.of(1, 2), true),
                new Config("one channel, no padding, no bias", 3, 1, 19, 40, 2, 3, 4, Conv2dParams.defaults(), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void conv2d_matchesNaiveLoopsInBothDtypes(Config cfg) {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            Generator gen = new Generator(7);
            NDArray x = NDArray.uniform(gen, -1, 1, dt, cfg.n, cfg.c, cfg.h, cfg.w);
            NDArray w = NDArray.uniform(gen, -1, 1, dt, cfg.o, cfg.c, cfg.kh, cfg.kw);
            NDArray b = cfg.bias ? NDArray.uniform(gen, -1, 1, dt, cfg.o) : null;
            Naive ref = new Naive(x, w, b, cfg.p);
            double tol = dt == DType.FLOAT32 ? 1e-4 : 1e-12;
            NDArray out = x.conv2d(w, b, cfg.p);
            assertArrayEquals(ref.outShape, out.shape(), cfg + " shape");
            assertArrayEquals(ref.out, out.toDoubleArray(), tol, cfg + " " + dt + " forward");

            NDArray g = NDArray.uniform(gen, -1, 1, dt, ref.outShape);
            ref.backward(g);
            NDArray[] grads = g.conv2dBackward(x, w, cfg.p, true, true, cfg.bias);
            assertArrayEquals(ref.dx, grads[0].toDoubleArray(), tol, cfg + " " + dt + " input grad");
            assertArrayEquals(ref.dw, grads[1].toDoubleArray(), tol, cfg + " " + dt + " weight grad");
            if (cfg.bias) {
                assertArrayEquals(ref.db, grads[2].toDoubleArray(), tol, cfg + " " + dt + " bias grad");
            } else {
                assertNull(grads[2]);
            }
        }
    }

    @Test
    void conv2d_nonContiguousOperandsAndOutputOfOneSizeAfterABiggerOne() {
        Generator gen = new Generator(11);
        // a larger call first, so the per-thread buffers are bigger than the next call needs
        NDArray big = NDArray.uniform(gen, -1, 1, DType.FLOAT32, 4, 3, 16, 16);
        big.conv2d(NDArray.uniform(gen, -1, 1, DType.FLOAT32, 8, 3, 3, 3), null, 1, 1);
        NDArray x = NDArray.uniform(gen, -1, 1, DType.FLOAT32, 2, 6, 5, 3).transpose(2, 3).narrow(1, 1, 3); // [2, 3, 3, 5]
        NDArray w = NDArray.uniform(gen, -1, 1, DType.FLOAT32, 2, 3, 2, 2).transpose(2, 3);
        NDArray b = NDArray.uniform(gen, -1, 1, DType.FLOAT32, 2, 2).select(1, 1);
        Naive ref = new Naive(x, w, b, Conv2dParams.of(1, 1));
        assertArrayEquals(ref.out, x.conv2d(w, b, 1, 1).toDoubleArray(), 1e-5);
        NDArray g = NDArray.uniform(gen, -1, 1, DType.FLOAT32, ref.outShape[0], ref.outShape[2], ref.outShape[3], ref.outShape[1])
                .permute(0, 3, 1, 2);
        ref.backward(g);
        NDArray[] grads = g.conv2dBackward(x, w, Conv2dParams.of(1, 1), true, true, true);
        assertArrayEquals(ref.dx, grads[0].toDoubleArray(), 1e-5);
        assertArrayEquals(ref.dw, grads[1].toDoubleArray(), 1e-5);
        assertArrayEquals(ref.db, grads[2].toDoubleArray(), 1e-5);
    }

    @Test
    void conv2d_unbatchedInputAndEmptyBatch() {
        NDArray out = X33.view(1, 3, 3).conv2d(W22, null, 1, 0);
        assertArrayEquals(new int[] {1, 2, 2}, out.shape());
        assertArrayEquals(new float[] {37, 47, 67, 77}, out.toFloatArray());
        NDArray[] g = NDArray.full(DType.FLOAT32, 1, 1, 2, 2).conv2dBackward(X33.view(1, 3, 3), W22, Conv2dParams.defaults(),
                true, false, true);
        assertArrayEquals(new int[] {1, 3, 3}, g[0].shape());
        assertNull(g[1]);
        assertArrayEquals(new float[] {4}, g[2].toFloatArray());
        NDArray empty = NDArray.zeros(DType.FLOAT32, 0, 1, 3, 3);
        assertArrayEquals(new int[] {0, 1, 2, 2}, empty.conv2d(W22, null, 1, 0).shape());
        NDArray[] eg = NDArray.zeros(DType.FLOAT32, 0, 1, 2, 2).conv2dBackward(empty, W22, Conv2dParams.defaults(), true, true, true);
        assertArrayEquals(new float[4], eg[1].toFloatArray());
        assertArrayEquals(new float[1], eg[2].toFloatArray());
    }

    @Test
    void conv2d_usableFromSeveralThreadsAtOnce() throws InterruptedException {
        Generator gen = new Generator(5);
        NDArray x = NDArray.uniform(gen, -1, 1, DType.FLOAT32, 4, 3, 10, 10);
        NDArray w = NDArray.uniform(gen, -1, 1, DType.FLOAT32, 5, 3, 3, 3);
        float[] expected = x.conv2d(w, null, 1, 1).toFloatArray();
        List<Throwable> failures = new ArrayList<>();
        Thread[] threads = new Thread[3];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                try {
                    for (int i = 0; i < 20; i++) {
                        assertArrayEquals(expected, x.conv2d(w, null, 1, 1).toFloatArray());
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(List.of(), failures);
    }

    // ---------------------------------------------------------------- errors

    private static String error(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void conv2d_mismatchedChannelsNamesBothShapes() {
        NDArray x = NDArray.zeros(DType.FLOAT32, 64, 3, 28, 28);
        NDArray w = NDArray.zeros(DType.FLOAT32, 6, 1, 5, 5);
        assertEquals("conv2d: input [64, 3, 28, 28] has 3 channels, weight [6, 1, 5, 5] expects 1", error(() -> x.conv2d(w, null, 1, 0)));
    }

    @Test
    void conv2d_kernelLargerThanPaddedInput() {
        NDArray x = NDArray.zeros(DType.FLOAT32, 1, 1, 3, 3);
        NDArray w = NDArray.zeros(DType.FLOAT32, 1, 1, 5, 5);
        assertEquals("conv2d: kernel 5x5 is larger than the padded input 3x3 (input [1, 1, 3, 3], padding 0x0)",
                error(() -> x.conv2d(w, null, 1, 0)));
        x.conv2d(w, null, 1, 1); // padded to 5x5: fits
        NDArray x4 = NDArray.zeros(DType.FLOAT32, 1, 1, 4, 4);
        NDArray w3 = NDArray.zeros(DType.FLOAT32, 1, 1, 3, 3);
        assertEquals("conv2d: kernel 3x3 (dilated 5x5) is larger than the padded input 4x4 (input [1, 1, 4, 4], padding 0x0)",
                error(() -> x4.conv2d(w3, null, Conv2dParams.of(1, 0, 2))));
    }

    @Test
    void conv2d_badParamsAndOperands() {
        assertEquals("conv2d: stride must be positive, got 0x0", error(() -> X33.conv2d(W22, null, 0, 0)));
        assertEquals("conv2d: padding must be non-negative, got -1x-1", error(() -> X33.conv2d(W22, null, 1, -1)));
        assertEquals("conv2d: dilation must be positive, got 0x0", error(() -> Conv2dParams.of(1, 0, 0)));
        assertEquals("conv2d: bias [2] does not match weight [1, 1, 2, 2] (expected [1])",
                error(() -> X33.conv2d(W22, NDArray.zeros(DType.FLOAT32, 2), 1, 0)));
        assertEquals("conv2d: expected a 3-D (unbatched) or 4-D (batched) input [N, C, H, W], got [3, 3]",
                error(() -> X33.view(3, 3).conv2d(W22, null, 1, 0)));
        assertEquals("conv2d: weight must be 4-D [out_channels, in_channels, kH, kW], got [1, 4]",
                error(() -> X33.conv2d(W22.view(1, 4), null, 1, 0)));
        assertEquals("conv2d: operands must share a dtype, got FLOAT32[1, 1, 3, 3] and FLOAT64[1, 1, 2, 2]",
                error(() -> X33.conv2d(W22.to(DType.FLOAT64), null, 1, 0)));
        assertEquals("conv2d: expected a FLOAT32 or FLOAT64 input, got INT64",
                error(() -> X33.to(DType.INT64).conv2d(W22, null, 1, 0)));
        assertEquals("conv2dBackward: gradient [1, 1, 3, 3] does not match the output shape [1, 1, 2, 2] of input [1, 1, 3, 3]"
                        + " and weight [1, 1, 2, 2]",
                error(() -> X33.conv2dBackward(X33, W22, Conv2dParams.defaults(), true, true, true)));
    }

    // ---------------------------------------------------------------- the reference

    /** Textbook loops in double: the definition the kernels are checked against. */
    static final class Naive {
        final int[] outShape;
        final double[] out;
        double[] dx;
        double[] dw;
        double[] db;
        private final int n;
        private final int c;
        private final int h;
        private final int w;
        private final int o;
        private final int kh;
        private final int kw;
        private final Conv2dParams p;
        private final double[] xs;
        private final double[] ws;

        Naive(NDArray x, NDArray weight, NDArray bias, Conv2dParams p) {
            int[] s = x.shape();
            int[] k = weight.shape();
            n = s[0];
            c = s[1];
            h = s[2];
            w = s[3];
            o = k[0];
            kh = k[2];
            kw = k[3];
            this.p = p;
            xs = x.toDoubleArray();
            ws = weight.toDoubleArray();
            int oh = (h + 2 * p.paddingH() - p.dilationH() * (kh - 1) - 1) / p.strideH() + 1;
            int ow = (w + 2 * p.paddingW() - p.dilationW() * (kw - 1) - 1) / p.strideW() + 1;
            outShape = new int[] {n, o, oh, ow};
            out = new double[n * o * oh * ow];
            double[] bs = bias == null ? new double[o] : bias.toDoubleArray();
            forEachTap((oi, xi, wi, ko) -> out[oi] += xs[xi] * ws[wi]);
            for (int i = 0; i < out.length; i++) {
                out[i] += bs[(i / (oh * ow)) % o];
            }
        }

        void backward(NDArray gradOut) {
            double[] g = gradOut.toDoubleArray();
            dx = new double[xs.length];
            dw = new double[ws.length];
            db = new double[o];
            forEachTap((oi, xi, wi, ko) -> {
                dx[xi] += g[oi] * ws[wi];
                dw[wi] += g[oi] * xs[xi];
            });
            int plane = outShape[2] * outShape[3];
            for (int i = 0; i < g.length; i++) {
                db[(i / plane) % o] += g[i];
            }
        }

        interface Tap {
            void visit(int outIndex, int inIndex, int weightIndex, int outChannel);
        }

        /** Every (output element, input element, weight element) product that lands inside the input. */
        private void forEachTap(Tap t) {
            int oh = outShape[2];
            int ow = outShape[3];
            for (int b = 0; b < n; b++) {
                for (int f = 0; f < o; f++) {
                    for (int y = 0; y < oh; y++) {
                        for (int z = 0; z < ow; z++) {
                            int oi = ((b * o + f) * oh + y) * ow + z;
                            for (int ch = 0; ch < c; ch++) {
                                for (int i = 0; i < kh; i++) {
                                    for (int j = 0; j < kw; j++) {
                                        int ih = y * p.strideH() - p.paddingH() + i * p.dilationH();
                                        int iw = z * p.strideW() - p.paddingW() + j * p.dilationW();
                                        if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
                                            t.visit(oi, ((b * c + ch) * h + ih) * w + iw, ((f * c + ch) * kh + i) * kw + j, f);
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
