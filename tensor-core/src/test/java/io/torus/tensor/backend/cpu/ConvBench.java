package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.Generator;
import io.torus.tensor.NDArray;
import io.torus.tensor.op.Conv2dParams;
import io.torus.tensor.op.Pool2dParams;

import java.util.Arrays;
import java.util.Locale;

/**
 * LeNet's convolution and pooling at batch 64, FLOAT32, forward and backward: the backend's
 * im2col + GEMM path against direct Java loops (the alternative measured when choosing it, kept
 * here as the named reference). Prints ms per call and the ratio, median of {@code reps} rounds.
 *
 * <pre>
 *   mvn -o -q -pl tensor-core test-compile
 *   java -cp "tensor-core/target/classes:tensor-core/target/test-classes:$(find ~/.m2/repository/org/bytedeco -name '*.jar' | tr '\n' :)" \
 *       io.torus.tensor.backend.cpu.ConvBench [reps]
 * </pre>
 * Not a test: nothing asserts on time.
 */
public final class ConvBench {
    private ConvBench() {
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        System.out.printf("OpenBLAS native: %s, OPENBLAS_CORETYPE=%s, %d rounds, median ms%n", OpenBlas.available(),
                System.getenv("OPENBLAS_CORETYPE"), reps);
        Generator g = new Generator(1);
        NDArray x = NDArray.uniform(g, 0, 1, DType.FLOAT32, 64, 1, 28, 28);
        NDArray w1 = NDArray.uniform(g, -0.2, 0.2, DType.FLOAT32, 6, 1, 5, 5);
        NDArray b1 = NDArray.uniform(g, -0.2, 0.2, DType.FLOAT32, 6);
        NDArray w2 = NDArray.uniform(g, -0.1, 0.1, DType.FLOAT32, 16, 6, 5, 5);
        NDArray b2 = NDArray.uniform(g, -0.1, 0.1, DType.FLOAT32, 16);
        Conv2dParams p = Conv2dParams.defaults();
        Pool2dParams pool = Pool2dParams.of(2);
        NDArray c1 = x.conv2d(w1, b1, p);
        NDArray[] p1 = c1.maxPool2dWithIndices(pool);
        NDArray c2 = p1[0].conv2d(w2, b2, p);
        NDArray[] p2 = c2.maxPool2dWithIndices(pool);
        NDArray gc2 = NDArray.uniform(g, -1, 1, DType.FLOAT32, c2.shape());
        NDArray gc1 = NDArray.uniform(g, -1, 1, DType.FLOAT32, c1.shape());
        NDArray gp2 = NDArray.uniform(g, -1, 1, DType.FLOAT32, p2[0].shape());
        NDArray gp1 = NDArray.uniform(g, -1, 1, DType.FLOAT32, p1[0].shape());
        NDArray h1 = p1[0];

        System.out.printf("direct vs backend, max abs difference: forward %.1e, weight grad %.1e, input grad %.1e%n",
                maxDiff(Direct.forward(h1, w2, b2), h1.conv2d(w2, b2, p)),
                maxDiff(Direct.weightGrad(gc2, h1, w2.shape()), gc2.conv2dBackward(h1, w2, p, false, true, false)[1]),
                maxDiff(Direct.inputGrad(gc2, w2, h1.shape()), gc2.conv2dBackward(h1, w2, p, true, false, false)[0]));
        System.out.printf("%-44s %9s %9s %7s%n", "", "backend", "direct", "ratio");
        double total = 0;
        total += row("conv1 forward [64,1,28,28]*[6,1,5,5]", reps, () -> x.conv2d(w1, b1, p),
                () -> Direct.forward(x, w1, b1));
        total += row("conv1 weight+bias grad", reps, () -> gc1.conv2dBackward(x, w1, p, false, true, true),
                () -> Direct.weightGrad(gc1, x, w1.shape()));
        total += row("conv2 forward [64,6,12,12]*[16,6,5,5]", reps, () -> h1.conv2d(w2, b2, p),
                () -> Direct.forward(h1, w2, b2));
        total += row("conv2 weight+bias grad", reps, () -> gc2.conv2dBackward(h1, w2, p, false, true, true),
                () -> Direct.weightGrad(gc2, h1, w2.shape()));
        total += row("conv2 input grad", reps, () -> gc2.conv2dBackward(h1, w2, p, true, false, false),
                () -> Direct.inputGrad(gc2, w2, h1.shape()));
        double pools = 0;
        pools += time(reps, () -> c1.maxPool2dWithIndices(pool));
        pools += time(reps, () -> gp1.maxPool2dBackward(p1[1], c1.shape(), pool));
        pools += time(reps, () -> c2.maxPool2dWithIndices(pool));
        pools += time(reps, () -> gp2.maxPool2dBackward(p2[1], c2.shape(), pool));
        System.out.printf("%-44s %9.3f%n", "max pools 2x2, both layers, fwd + bwd", pools);
        System.out.printf("%-44s %9.3f%n", "avgPool2d 2x2 on conv1's output, fwd + bwd",
                time(reps, () -> c1.avgPool2d(pool)) + time(reps, () -> gp1.avgPool2dBackward(c1.shape(), pool)));
        System.out.printf("%-44s %9.3f  (%.0f samples/s for this part)%n", "LeNet conv+pool forward+backward, batch 64",
                total + pools, 64 / ((total + pools) / 1e3));
    }

    private static double row(String name, int reps, Runnable backend, Runnable direct) {
        double b = time(reps, backend);
        double d = time(reps, direct);
        System.out.printf(Locale.ROOT, "%-44s %9.3f %9.3f %6.1fx%n", name, b, d, d / b);
        return b;
    }

    private static double maxDiff(NDArray a, NDArray b) {
        float[] x = a.toFloatArray();
        float[] y = b.toFloatArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }

    private static double time(int reps, Runnable r) {
        for (int i = 0; i < 500; i++) { // C2 needs a few hundred calls here before timings settle
            r.run();
        }
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            r.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms[reps / 2];
    }

    /**
     * Direct loops for stride 1 without padding, FLOAT32, written for C2's auto-vectoriser: each
     * output plane is computed on the input's row pitch (see CpuConvolution's Note [Wide columns])
     * so the innermost loops run over long contiguous rows, five kernel taps fused per pass.
     */
    static final class Direct {
        private Direct() {
        }

        static NDArray forward(NDArray input, NDArray weight, NDArray bias) {
            int[] s = input.shape();
            int[] k = weight.shape();
            int n = s[0], c = s[1], h = s[2], w = s[3], o = k[0], kh = k[2], kw = k[3];
            int oh = h - kh + 1, ow = w - kw + 1, len = (oh - 1) * w + ow;
            float[] x = input.storage().floats();
            float[] wt = weight.storage().floats();
            float[] b = bias.storage().floats();
            float[] out = new float[n * o * oh * ow];
            float[] wide = new float[len];
            for (int i = 0; i < n; i++) {
                for (int f = 0; f < o; f++) {
                    Arrays.fill(wide, 0f);
                    for (int ch = 0; ch < c; ch++) {
                        int plane = (i * c + ch) * h * w;
                        int wb = (f * c + ch) * kh * kw;
                        for (int r = 0; r < kh; r++) {
                            int q = 0;
                            for (; q + 5 <= kw; q += 5) {
                                int t = wb + r * kw + q;
                                float w0 = wt[t], w1 = wt[t + 1], w2 = wt[t + 2], w3 = wt[t + 3], w4 = wt[t + 4];
                                int off = plane + r * w + q;
                                for (int j = 0; j < len; j++) {
                                    wide[j] += w0 * x[off + j] + w1 * x[off + j + 1] + w2 * x[off + j + 2] + w3 * x[off + j + 3]
                                            + w4 * x[off + j + 4];
                                }
                            }
                            for (; q < kw; q++) {
                                float wv = wt[wb + r * kw + q];
                                int off = plane + r * w + q;
                                for (int j = 0; j < len; j++) {
                                    wide[j] += wv * x[off + j];
                                }
                            }
                        }
                    }
                    int dst = (i * o + f) * oh * ow;
                    for (int r = 0; r < oh; r++) {
                        for (int q = 0; q < ow; q++) {
                            out[dst + r * ow + q] = wide[r * w + q] + b[f];
                        }
                    }
                }
            }
            return NDArray.of(out, n, o, oh, ow);
        }

        /** gradOut spread to the input's row pitch with zero gaps. */
        private static float[] widen(NDArray gradOut, int w) {
            int[] s = gradOut.shape();
            int planes = s[0] * s[1], oh = s[2], ow = s[3];
            float[] g = gradOut.storage().floats();
            float[] wide = new float[planes * oh * w];
            for (int pl = 0; pl < planes; pl++) {
                for (int r = 0; r < oh; r++) {
                    System.arraycopy(g, (pl * oh + r) * ow, wide, (pl * oh + r) * w, ow);
                }
            }
            return wide;
        }

        /** Per tap, an elementwise product accumulated over the batch, then one sum (dot products do not vectorise). */
        static NDArray weightGrad(NDArray gradOut, NDArray input, int[] weightShape) {
            int[] s = input.shape();
            int n = s[0], c = s[1], h = s[2], w = s[3], o = weightShape[0], kh = weightShape[2], kw = weightShape[3];
            int oh = h - kh + 1, ow = w - kw + 1, len = (oh - 1) * w + ow;
            float[] x = input.storage().floats();
            float[] g = widen(gradOut, w);
            float[] dw = new float[o * c * kh * kw];
            float[] db = new float[o];
            float[] acc = new float[len];
            for (int f = 0; f < o; f++) {
                for (int ch = 0; ch < c; ch++) {
                    for (int r = 0; r < kh; r++) {
                        for (int q = 0; q < kw; q++) {
                            Arrays.fill(acc, 0f);
                            for (int i = 0; i < n; i++) {
                                int gb = (i * o + f) * oh * w;
                                int xb = (i * c + ch) * h * w + r * w + q;
                                for (int j = 0; j < len; j++) {
                                    acc[j] += g[gb + j] * x[xb + j];
                                }
                            }
                            float sum = 0;
                            for (float v : acc) {
                                sum += v;
                            }
                            dw[((f * c + ch) * kh + r) * kw + q] = sum;
                        }
                    }
                }
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < oh * w; j++) {
                        db[f] += g[(i * o + f) * oh * w + j];
                    }
                }
            }
            return NDArray.of(dw, weightShape);
        }

        static NDArray inputGrad(NDArray gradOut, NDArray weight, int[] inputShape) {
            int n = inputShape[0], c = inputShape[1], h = inputShape[2], w = inputShape[3];
            int[] k = weight.shape();
            int o = k[0], kh = k[2], kw = k[3];
            int oh = h - kh + 1, ow = w - kw + 1, len = (oh - 1) * w + ow;
            float[] g = widen(gradOut, w);
            float[] wt = weight.storage().floats();
            float[] dx = new float[n * c * h * w];
            for (int i = 0; i < n; i++) {
                for (int ch = 0; ch < c; ch++) {
                    int xb = (i * c + ch) * h * w;
                    for (int f = 0; f < o; f++) {
                        int gb = (i * o + f) * oh * w;
                        int wb = (f * c + ch) * kh * kw;
                        for (int r = 0; r < kh; r++) {
                            for (int q = 0; q < kw; q++) {
                                float wv = wt[wb + r * kw + q];
                                int off = xb + r * w + q;
                                for (int j = 0; j < len; j++) {
                                    dx[off + j] += wv * g[gb + j];
                                }
                            }
                        }
                    }
                }
            }
            return NDArray.of(dx, inputShape);
        }
    }
}
