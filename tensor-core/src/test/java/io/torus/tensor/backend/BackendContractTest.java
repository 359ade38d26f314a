package io.torus.tensor.backend;

import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;
import io.torus.tensor.op.BinaryOp;
import io.torus.tensor.op.Conv2dParams;
import io.torus.tensor.op.Pool2dParams;
import io.torus.tensor.op.ReduceOp;
import io.torus.tensor.op.UnaryOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The contract every {@link Backend} must pass unchanged: each op of the vocabulary, called
 * directly on arrays that live on the backend's device, compared element by element with a
 * naive reference computed here on the host. Inputs include non-contiguous views and broadcast
 * (zero-stride) operands, as {@link NDArray} hands them to backends. A new backend subclasses
 * this class and provides {@link #backend()}; nothing else changes.
 *
 * <p>Random fills are part of the contract: element {@code i} (row-major) of a fill draws from
 * counter {@code base + i} of the {@link Generator}, so every device produces the same numbers
 * for the same seed.
 */
public abstract class BackendContractTest {

    protected abstract Backend backend();

    // ------------------------------------------------------------------ device helpers

    /** A contiguous array of this shape on the backend's device. */
    protected NDArray deviceEmpty(DType dtype, int... shape) {
        return new NDArray(backend().allocate(dtype, Shape.numel(shape)), shape.clone(), Shape.contiguousStrides(shape), 0);
    }

    protected NDArray toDevice(NDArray host) {
        NDArray d = deviceEmpty(host.dtype(), host.shape());
        backend().copyFromHost(host, d);
        return d;
    }

    protected NDArray toHost(NDArray device) {
        NDArray h = NDArray.empty(device.dtype(), device.shape());
        backend().copyToHost(device, h);
        return h;
    }

    private static NDArray random(long seed, DType dtype, int... shape) {
        return NDArray.uniform(new Generator(seed), -2, 2, dtype, shape);
    }

    /** Row-major values of a host array, whatever its strides. */
    private static double[] values(NDArray host) {
        double[] v = new double[(int) host.numel()];
        for (int i = 0; i < v.length; i++) {
            v[i] = host.getDouble(i);
        }
        return v;
    }

    private static double tolerance(DType dt) {
        return dt == DType.FLOAT32 ? 1e-5 : 1e-12;
    }

    private static void assertClose(double[] expected, NDArray actualHost, DType dt, String what) {
        double[] actual = values(actualHost);
        assertEquals(expected.length, actual.length, what + ": element count");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double tol = tolerance(dt) * Math.max(1, Math.abs(e));
            if (Double.isNaN(e)) {
                assertEquals(e, actual[i], what + " element " + i);
            } else {
                assertEquals(e, actual[i], tol, what + " element " + i);
            }
        }
    }

    // ------------------------------------------------------------------ copy and fill

    @Test
    void copy_transposedSourceIntoContiguous() {
        NDArray host = random(1, DType.FLOAT32, 3, 4);
        NDArray dev = toDevice(host).transpose(0, 1);
        NDArray out = deviceEmpty(DType.FLOAT32, 4, 3);
        backend().copy(dev, out);
        assertClose(values(host.transpose(0, 1)), toHost(out), DType.FLOAT32, "copy");
    }

    @Test
    void copy_convertsBetweenDtypes() {
        NDArray host = NDArray.of(new double[] {-2.7, -0.5, 0, 1.5, 3}, 5);
        NDArray dev = toDevice(host);
        for (DType to : DType.values()) {
            NDArray out = deviceEmpty(to, 5);
            backend().copy(dev, out);
            double[] expected = switch (to) {
                case FLOAT32, FLOAT64 -> new double[] {-2.7, -0.5, 0, 1.5, 3};
                case INT64, INT32 -> new double[] {-2, 0, 0, 1, 3};
                case BOOL -> new double[] {1, 1, 0, 1, 1};
            };
            assertClose(expected, toHost(out), DType.FLOAT32, "copy to " + to);
        }
    }

    @Test
    void copy_int64KeepsEveryBit() {
        long big = (1L << 60) + 1;
        NDArray dev = toDevice(NDArray.of(new long[] {big, -big}, 2));
        NDArray out = deviceEmpty(DType.INT64, 2);
        backend().copy(dev, out);
        assertArrayEquals(new long[] {big, -big}, toHost(out).toLongArray());
    }

    @Test
    void fill_writesOnlyTheView() {
        NDArray dev = toDevice(NDArray.zeros(DType.FLOAT32, 3, 4));
        backend().fill(dev.narrow(1, 1, 2), 7);
        assertClose(new double[] {0, 7, 7, 0, 0, 7, 7, 0, 0, 7, 7, 0}, toHost(dev), DType.FLOAT32, "fill");
    }

    // ------------------------------------------------------------------ elementwise

    @ParameterizedTest
    @EnumSource(UnaryOp.class)
    void unary_everyOpFloat32AndFloat64(UnaryOp op) {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            NDArray host = NDArray.uniform(new Generator(2), 0.1, 3, dt, 4, 5);
            NDArray x = toDevice(host).transpose(0, 1); // non-contiguous input
            NDArray out = deviceEmpty(dt, 5, 4);
            backend().unary(op, x, out);
            double[] in = values(host.transpose(0, 1));
            double[] expected = new double[in.length];
            for (int i = 0; i < in.length; i++) {
                expected[i] = op.apply(dt == DType.FLOAT32 ? (float) in[i] : in[i]);
            }
            assertClose(expected, toHost(out), dt, op + " " + dt);
        }
    }

    @ParameterizedTest
    @EnumSource(BinaryOp.class)
    void binary_everyOpWithBroadcastAndTransposedOperands(BinaryOp op) {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            NDArray hostA = NDArray.uniform(new Generator(3), 0.5, 2, dt, 4, 3); // used as [3, 4] transposed
            NDArray hostB = NDArray.uniform(new Generator(4), 0.5, 2, dt, 4);    // broadcast over rows
            NDArray a = toDevice(hostA).transpose(0, 1);
            NDArray b = toDevice(hostB).expand(3, 4);
            NDArray out = deviceEmpty(op.isComparison() ? DType.BOOL : dt, 3, 4);
            backend().binary(op, a, b, out);
            double[] va = values(hostA.transpose(0, 1));
            double[] vb = values(hostB.expand(3, 4));
            double[] expected = new double[12];
            for (int i = 0; i < 12; i++) {
                expected[i] = dt == DType.FLOAT32 && !op.isComparison()
                        ? op.apply((float) va[i], (float) vb[i]) : op.apply(va[i], vb[i]);
            }
            assertClose(expected, toHost(out), dt, op + " " + dt);
        }
    }

    @Test
    void binary_reluBackwardPassesTheGradientOnlyWhereTheResultIsPositive() {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            // 67 elements: whole vectors and a tail on every vector width; zeros, negatives and
            // non-finite gradients behind closed gates (which must give 0, not 0 * inf = NaN)
            int n = 67;
            double[] g = new double[n];
            double[] r = new double[n];
            for (int i = 0; i < n; i++) {
                g[i] = i % 7 == 0 ? Double.POSITIVE_INFINITY : i % 11 == 0 ? Double.NaN : 0.25 * i - 3;
                r[i] = i % 3 == 0 ? 0 : i % 3 == 1 ? -0.5 * i : 0.5 * i;
            }
            NDArray hostG = NDArray.of(g, n).to(dt);
            NDArray hostR = NDArray.of(r, n).to(dt);
            NDArray out = deviceEmpty(dt, n);
            backend().binary(BinaryOp.RELU_BACKWARD, toDevice(hostG), toDevice(hostR), out);
            double[] expected = new double[n];
            for (int i = 0; i < n; i++) {
                expected[i] = r[i] > 0 ? hostG.getDouble(i) : 0;
            }
            assertClose(expected, toHost(out), dt, "relu backward " + dt);
            // a scalar on either side
            NDArray scalarOut = deviceEmpty(dt, n);
            backend().binary(BinaryOp.RELU_BACKWARD, toDevice(NDArray.of(new double[] {2}, 1).to(dt)).expand(n), toDevice(hostR),
                    scalarOut);
            for (int i = 0; i < n; i++) {
                expected[i] = r[i] > 0 ? 2 : 0;
            }
            assertClose(expected, toHost(scalarOut), dt, "relu backward, scalar gradient " + dt);
            backend().binary(BinaryOp.RELU_BACKWARD, toDevice(hostG), toDevice(NDArray.of(new double[] {-1}, 1).to(dt)).expand(n),
                    scalarOut);
            assertClose(new double[n], toHost(scalarOut), dt, "relu backward, closed scalar gate " + dt);
        }
    }

    @Test
    void binary_outputMayAliasFirstOperand() {
        NDArray host = random(5, DType.FLOAT32, 2, 3);
        NDArray a = toDevice(host);
        NDArray b = toDevice(NDArray.of(new float[] {10}, 1)).expand(2, 3);
        backend().binary(BinaryOp.ADD, a, b, a);
        double[] expected = values(host);
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (float) expected[i] + 10f;
        }
        assertClose(expected, toHost(a), DType.FLOAT32, "a += 10");
    }

    @Test
    void binary_int64IsExact() {
        long big = (1L << 60) + 1;
        NDArray a = toDevice(NDArray.of(new long[] {big, 7, -9}, 3));
        NDArray b = toDevice(NDArray.of(new long[] {2, 2, 2}, 3));
        NDArray out = deviceEmpty(DType.INT64, 3);
        backend().binary(BinaryOp.ADD, a, b, out);
        assertArrayEquals(new long[] {big + 2, 9, -7}, toHost(out).toLongArray());
        backend().binary(BinaryOp.MUL, a, b, out);
        assertArrayEquals(new long[] {big * 2, 14, -18}, toHost(out).toLongArray());
    }

    // ------------------------------------------------------------------ reductions

    @ParameterizedTest
    @EnumSource(ReduceOp.class)
    void reduce_overEachDimSetOfANonContiguousInput(ReduceOp op) {
        int[][] dimSets = {{0}, {1}, {2}, {0, 2}, {0, 1, 2}};
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            NDArray host = random(6, dt, 4, 3, 5).permute(1, 2, 0); // [3, 5, 4], non-contiguous
            NDArray x = toDevice(host.contiguous()).view(3, 5, 4);
            NDArray xs = toDevice(random(6, dt, 4, 3, 5)).permute(1, 2, 0);
            for (int[] dims : dimSets) {
                boolean[] flags = new boolean[3];
                int[] kept = {3, 5, 4};
                for (int d : dims) {
                    flags[d] = true;
                    kept[d] = 1;
                }
                NDArray out = deviceEmpty(dt, kept);
                backend().reduce(op, xs, flags, out);
                double[] expected = new double[(int) Shape.numel(kept)];
                java.util.Arrays.fill(expected, op.identity());
                NDArray expView = NDArray.of(expected, kept).expand(3, 5, 4);
                double[] v = values(host);
                for (int i = 0; i < v.length; i++) {
                    int idx = expView.storageIndex(i);
                    expected[idx] = op.combine(expected[idx], v[i]);
                }
                assertClose(expected, toHost(out), dt, op + " over " + java.util.Arrays.toString(dims) + " " + dt);
                assertEquals(x.numel(), xs.numel());
            }
        }
    }

    @Test
    void argReduce_firstIndexOfTheExtremeAlongDim() {
        NDArray host = NDArray.of(new float[] {1, 5, 5, 0, 2, 2, -1, 7, 9}, 3, 3);
        NDArray x = toDevice(host);
        NDArray out = deviceEmpty(DType.INT64, 3, 1);
        backend().argReduce(true, x, 1, out);
        assertArrayEquals(new long[] {1, 1, 2}, toHost(out).toLongArray());
        NDArray col = deviceEmpty(DType.INT64, 1, 3);
        backend().argReduce(false, x, 0, col);
        assertArrayEquals(new long[] {2, 1, 1}, toHost(col).toLongArray());
    }

    // ------------------------------------------------------------------ matmul

    @Test
    void matmul_batchedWithTransposedOperands() {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            int batch = 2;
            int m = 3;
            int k = 5;
            int n = 4;
            NDArray ha = random(7, dt, batch, m, k);
            NDArray hb = random(8, dt, batch, n, k).transpose(1, 2); // [batch, k, n] non-contiguous
            NDArray out = deviceEmpty(dt, batch, m, n);
            backend().matmul(toDevice(ha), toDevice(random(8, dt, batch, n, k)).transpose(1, 2), out);
            double[] expected = new double[batch * m * n];
            for (int bi = 0; bi < batch; bi++) {
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double s = 0;
                        for (int p = 0; p < k; p++) {
                            s += ha.getDouble(((long) bi * m + i) * k + p) * hb.getDouble(((long) bi * k + p) * n + j);
                        }
                        expected[(bi * m + i) * n + j] = s;
                    }
                }
            }
            assertClose(expected, toHost(out), dt, "matmul " + dt);
        }
    }

    // ------------------------------------------------------------------ softmax and indexing

    @Test
    void logSoftmax_alongEachDim() {
        NDArray host = random(9, DType.FLOAT64, 3, 4);
        for (int dim = 0; dim < 2; dim++) {
            NDArray out = deviceEmpty(DType.FLOAT64, 3, 4);
            backend().logSoftmax(toDevice(host), dim, out);
            double[] expected = new double[12];
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 4; j++) {
                    double lse = 0;
                    for (int t = 0; t < (dim == 0 ? 3 : 4); t++) {
                        lse += Math.exp(dim == 0 ? host.getDouble(t * 4L + j) : host.getDouble(i * 4L + t));
                    }
                    expected[i * 4 + j] = host.getDouble(i * 4L + j) - Math.log(lse);
                }
            }
            assertClose(expected, toHost(out), DType.FLOAT64, "logSoftmax dim " + dim);
        }
    }

    @Test
    void gatherAndScatterAdd_alongDim1() {
        NDArray host = NDArray.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        NDArray index = toDevice(NDArray.of(new long[] {2, 2, 0, 1}, 2, 2));
        NDArray out = deviceEmpty(DType.FLOAT32, 2, 2);
        backend().gather(toDevice(host), 1, index, out);
        assertClose(new double[] {3, 3, 4, 5}, toHost(out), DType.FLOAT32, "gather");
        NDArray acc = toDevice(NDArray.zeros(DType.FLOAT32, 2, 3));
        backend().scatterAdd(acc, 1, index, toDevice(NDArray.of(new float[] {1, 10, 100, 1000}, 2, 2)));
        assertClose(new double[] {0, 0, 11, 100, 1000, 0}, toHost(acc), DType.FLOAT32, "scatterAdd sums repeated indices");
    }

    // ------------------------------------------------------------------ random numbers

    @Test
    void uniformAndNormal_drawElementIFromCounterBasePlusI() {
        Generator g = new Generator(1234);
        g.reserve(17); // a generator that has already been used
        long base = g.state()[1];
        NDArray u = deviceEmpty(DType.FLOAT32, 2, 3);
        backend().uniform(u, g, -1, 3);
        NDArray n = deviceEmpty(DType.FLOAT64, 4);
        backend().normal(n, g, 2, 0.5);
        Generator ref = new Generator(1234);
        double[] eu = new double[6];
        for (int i = 0; i < 6; i++) {
            eu[i] = (float) (-1 + 4 * ref.uniform(base + i));
        }
        double[] en = new double[4];
        for (int i = 0; i < 4; i++) {
            en[i] = 2 + 0.5 * ref.normal(base + 6 + i);
        }
        assertClose(eu, toHost(u), DType.FLOAT32, "uniform");
        assertClose(en, toHost(n), DType.FLOAT64, "normal");
        assertEquals(base + 10, g.state()[1], "the counter advances by the number of elements drawn");
    }

    // ------------------------------------------------------------------ selection (issue 3)

    @Test
    void where_picksFromBroadcastAndTransposedBranches() {
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64, DType.INT64}) {
            NDArray hostA = NDArray.arange(0, 6, 1, dt).view(2, 3);
            NDArray cond = toDevice(NDArray.of(new boolean[] {true, false, true}, 3, 1)).expand(3, 2);
            NDArray a = toDevice(hostA).transpose(0, 1);                             // [[0, 3], [1, 4], [2, 5]]
            NDArray b = toDevice(NDArray.full(dt, -1, 1)).expand(3, 2);
            NDArray out = deviceEmpty(dt, 3, 2);
            backend().where(cond, a, b, out);
            assertClose(new double[] {0, 3, -1, -1, 2, 5}, toHost(out), dt, "where " + dt);
        }
    }

    @Test
    void maskedSelectAndMaskedScatter_rowMajorOrder() {
        NDArray x = toDevice(NDArray.arange(0, 6, 1, DType.FLOAT64).view(2, 3)).transpose(0, 1); // [[0, 3], [1, 4], [2, 5]]
        NDArray mask = toDevice(NDArray.of(new boolean[] {true, false, false, true, true, true}, 3, 2));
        NDArray out = deviceEmpty(DType.FLOAT64, 4);
        backend().maskedSelect(x, mask, out);
        assertClose(new double[] {0, 4, 2, 5}, toHost(out), DType.FLOAT64, "maskedSelect");
        NDArray target = toDevice(NDArray.zeros(DType.FLOAT64, 2, 3)).transpose(0, 1);
        backend().maskedScatter(target, mask, toDevice(NDArray.of(new double[] {10, 20, 30, 40, 50}, 5)));
        assertClose(new double[] {10, 0, 0, 20, 30, 40}, toHost(target), DType.FLOAT64, "maskedScatter");
    }

    // ------------------------------------------------------------------ random fills (issue 3)

    @Test
    void bernoulli_comparesDrawIWithProbabilityI() {
        Generator g = new Generator(77);
        g.reserve(5);
        long base = g.state()[1];
        NDArray hostP = NDArray.uniform(new Generator(1), 0, 1, DType.FLOAT64, 2, 8);
        NDArray out = deviceEmpty(DType.FLOAT32, 8, 2);
        backend().bernoulli(toDevice(hostP).transpose(0, 1), out, g);
        Generator ref = new Generator(77);
        double[] p = values(hostP.transpose(0, 1));
        double[] expected = new double[16];
        for (int i = 0; i < 16; i++) {
            expected[i] = ref.uniform(base + i) < p[i] ? 1 : 0;
        }
        assertClose(expected, toHost(out), DType.FLOAT32, "bernoulli");
        assertEquals(base + 16, g.state()[1]);
    }

    @Test
    void randint_isLowPlusHighWordOfBitsTimesRange() {
        Generator g = new Generator(99);
        long base = g.state()[1];
        NDArray out = deviceEmpty(DType.INT64, 3, 5);
        backend().randint(out, g, -7, 1000);
        Generator ref = new Generator(99);
        long[] expected = new long[15];
        for (int i = 0; i < 15; i++) {
            long bits = ref.bits(base + i);
            expected[i] = -7 + java.math.BigInteger.valueOf(bits).and(java.math.BigInteger.ONE.shiftLeft(64).subtract(
                    java.math.BigInteger.ONE)).multiply(java.math.BigInteger.valueOf(1007)).shiftRight(64).longValueExact();
        }
        assertArrayEquals(expected, toHost(out).toLongArray());
        assertEquals(base + 15, g.state()[1]);
    }

    // ------------------------------------------------------------------ convolution and pooling (issue 3)

    private static final Conv2dParams[] CONV_PARAMS = {
            Conv2dParams.of(1, 1),                      // stride 1, padded
            new Conv2dParams(2, 1, 1, 2, 1, 2)};        // stride 2x1, padding 1x2, dilation 1x2

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void conv2d_forwardAndGradientsOfATransposedInput(DType dt) {
        for (Conv2dParams p : CONV_PARAMS) {
            NDArray xHost = random(1, dt, 2, 3, 7, 6).transpose(2, 3); // [2, 3, 6, 7], strided
            NDArray wHost = random(2, dt, 4, 3, 3, 2);
            NDArray bHost = random(3, dt, 4);
            int[] outShape = p.outputShape(xHost.shape(), wHost.shape(), bHost.shape());
            NDArray gHost = random(4, dt, outShape);
            ConvReference ref = new ConvReference(xHost, wHost, bHost, gHost, p);

            NDArray x = toDevice(random(1, dt, 2, 3, 7, 6)).transpose(2, 3); // the same values, strided on the device
            NDArray w = toDevice(wHost);
            NDArray g = toDevice(gHost);
            NDArray out = deviceEmpty(dt, outShape);
            backend().conv2d(x, w, toDevice(bHost), p, out);
            assertClose(ref.out, toHost(out), dt, "conv2d " + p);
            NDArray dx = deviceEmpty(dt, x.shape());
            backend().conv2dBackwardInput(g, w, p, dx);
            assertClose(ref.dx, toHost(dx), dt, "conv2dBackwardInput " + p);
            NDArray dw = deviceEmpty(dt, w.shape());
            NDArray db = deviceEmpty(dt, 4);
            backend().conv2dBackwardWeight(g, x, p, dw, db);
            assertClose(ref.dw, toHost(dw), dt, "conv2dBackwardWeight " + p);
            assertClose(ref.db, toHost(db), dt, "conv2dBackwardWeight bias " + p);
        }
    }

    /** Textbook convolution loops on the host: output, and the gradients for output gradient {@code g}. */
    private static final class ConvReference {
        final double[] out;
        final double[] dx;
        final double[] dw;
        final double[] db;

        ConvReference(NDArray x, NDArray w, NDArray b, NDArray g, Conv2dParams p) {
            int[] s = x.shape();
            int[] k = w.shape();
            int[] o = p.outputShape(s, k, null);
            double[] xs = values(x);
            double[] ws = values(w);
            double[] gs = values(g);
            out = new double[gs.length];
            dx = new double[xs.length];
            dw = new double[ws.length];
            db = new double[k[0]];
            for (int i = 0; i < out.length; i++) {
                int ow = i % o[3];
                int oh = i / o[3] % o[2];
                int f = i / (o[2] * o[3]) % o[1];
                int n = i / (o[1] * o[2] * o[3]);
                out[i] = b.getDouble(f);
                db[f] += gs[i];
                for (int c = 0; c < s[1]; c++) {
                    for (int r = 0; r < k[2]; r++) {
                        for (int q = 0; q < k[3]; q++) {
                            int ih = oh * p.strideH() - p.paddingH() + r * p.dilationH();
                            int iw = ow * p.strideW() - p.paddingW() + q * p.dilationW();
                            if (ih < 0 || ih >= s[2] || iw < 0 || iw >= s[3]) {
                                continue;
                            }
                            int xi = ((n * s[1] + c) * s[2] + ih) * s[3] + iw;
                            int wi = ((f * s[1] + c) * k[2] + r) * k[3] + q;
                            out[i] += xs[xi] * ws[wi];
                            dx[xi] += gs[i] * ws[wi];
                            dw[wi] += gs[i] * xs[xi];
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64"})
    void pool2d_maxAndAvgWithGradientsOnAPermutedInput(DType dt) {
        Pool2dParams[] params = {
                Pool2dParams.of(3, 2, 1),                                          // overlapping, padded
                Pool2dParams.of(2).withCeilMode(true).withCountIncludePad(false),  // a partial last window
                Pool2dParams.of(2)};                                               // LeNet's
        for (Pool2dParams p : params) {
            NDArray xHost = random(5, dt, 2, 7, 5, 3).permute(0, 3, 1, 2); // [2, 3, 7, 5]
            int[] outShape = p.outputShape("maxPool2d", xHost.shape());
            NDArray gHost = random(6, dt, outShape);
            PoolReference ref = new PoolReference(xHost, gHost, p);

            NDArray x = toDevice(random(5, dt, 2, 7, 5, 3)).permute(0, 3, 1, 2);
            NDArray g = toDevice(gHost);
            NDArray max = deviceEmpty(dt, outShape);
            NDArray idx = deviceEmpty(DType.INT64, outShape);
            backend().maxPool2d(x, p, max, idx);
            assertClose(ref.max, toHost(max), dt, "maxPool2d " + p);
            assertArrayEquals(ref.argMax, toHost(idx).toLongArray(), "maxPool2d indices " + p);
            NDArray dx = deviceEmpty(dt, x.shape());
            backend().maxPool2dBackward(g, idx, p, dx);
            assertClose(ref.dxMax, toHost(dx), dt, "maxPool2dBackward " + p);
            NDArray avg = deviceEmpty(dt, outShape);
            backend().avgPool2d(x, p, avg);
            assertClose(ref.avg, toHost(avg), dt, "avgPool2d " + p);
            backend().avgPool2dBackward(g, p, dx);
            assertClose(ref.dxAvg, toHost(dx), dt, "avgPool2dBackward " + p);
        }
    }

    /** PyTorch's pooling definitions on the host, one window at a time (dilation 1). */
    private static final class PoolReference {
        final double[] max;
        final long[] argMax;
        final double[] avg;
        final double[] dxMax;
        final double[] dxAvg;

        PoolReference(NDArray x, NDArray g, Pool2dParams p) {
            int[] s = x.shape();
            int[] o = p.outputShape("reference", s);
            double[] xs = values(x);
            double[] gs = values(g);
            max = new double[gs.length];
            argMax = new long[gs.length];
            avg = new double[gs.length];
            dxMax = new double[xs.length];
            dxAvg = new double[xs.length];
            int plane = s[2] * s[3];
            for (int i = 0; i < gs.length; i++) {
                int pl = i / (o[2] * o[3]);
                int h0 = i / o[3] % o[2] * p.strideH() - p.paddingH();
                int w0 = i % o[3] * p.strideW() - p.paddingW();
                int h1 = Math.min(h0 + p.kernelH(), s[2] + p.paddingH());
                int w1 = Math.min(w0 + p.kernelW(), s[3] + p.paddingW());
                int divisor = (h1 - h0) * (w1 - w0);
                h1 = Math.min(h1, s[2]);
                w1 = Math.min(w1, s[3]);
                h0 = Math.max(h0, 0);
                w0 = Math.max(w0, 0);
                if (!p.countIncludePad()) {
                    divisor = (h1 - h0) * (w1 - w0);
                }
                max[i] = Double.NEGATIVE_INFINITY;
                for (int r = h0; r < h1; r++) {
                    for (int c = w0; c < w1; c++) {
                        double v = xs[pl * plane + r * s[3] + c];
                        avg[i] += v / divisor;
                        if (v > max[i]) {
                            max[i] = v;
                            argMax[i] = r * s[3] + c;
                        }
                    }
                }
                dxMax[pl * plane + (int) argMax[i]] += gs[i];
                for (int r = h0; r < h1; r++) {
                    for (int c = w0; c < w1; c++) {
                        dxAvg[pl * plane + r * s[3] + c] += gs[i] / divisor;
                    }
                }
            }
        }
    }
}
