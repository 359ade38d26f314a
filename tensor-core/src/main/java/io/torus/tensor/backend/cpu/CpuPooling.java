package io.torus.tensor.backend.cpu;

import io.torus.tensor.NDArray;
import io.torus.tensor.op.Pool2dParams;

import java.lang.ref.Reference;
import java.util.Arrays;

/**
 * Max and average pooling over NCHW planes, direct loops as PyTorch's CPU kernels
 * ({@code aten/src/ATen/native/cpu/MaxPoolKernel.cpp}, {@code AvgPoolKernel.cpp}).
 *
 * <p>Every plane uses the same windows, so each axis's windows are worked out once
 * ({@link Axis}): where a window's first in-bounds tap is, how many taps land inside the input,
 * and how far the window reaches into the padding (the average's divisor when padding counts).
 * The per-element loops then run without bounds checks. Max pooling records the arg-max as a flat
 * index {@code h * W + w} into the input plane, NaN propagating as in PyTorch; the backward pass adds
 * each gradient at its index, so overlapping windows sum. A window that covers only padding
 * (possible with dilation) yields -infinity and index -1, which the backward pass skips.
 */
final class CpuPooling {
    private CpuPooling() {
    }

    /** The windows along one spatial axis, per output index. */
    private record Axis(int[] first, int[] count, int[] extent, int step) {
        static Axis of(int in, int out, int kernel, int stride, int padding, int dilation) {
            int[] first = new int[out];
            int[] count = new int[out];
            int[] extent = new int[out];
            for (int o = 0; o < out; o++) {
                int start = o * stride - padding;
                int end = Math.min(start + (kernel - 1) * dilation + 1, in);
                int f = start;
                while (f < 0) {
                    f += dilation;
                }
                first[o] = f;
                count[o] = f < end ? (end - f + dilation - 1) / dilation : 0;
                extent[o] = Math.min(start + kernel, in + padding) - start;
            }
            return new Axis(first, count, extent, dilation);
        }

        static Axis rows(int[] in, int[] out, Pool2dParams p) {
            return of(in[2], out[2], p.kernelH(), p.strideH(), p.paddingH(), p.dilationH());
        }

        static Axis cols(int[] in, int[] out, Pool2dParams p) {
            return of(in[3], out[3], p.kernelW(), p.strideW(), p.paddingW(), p.dilationW());
        }
    }

    static void maxPool(NDArray input, Pool2dParams p, NDArray out, NDArray indices) {
        NDArray x = input.contiguous();
        int[] is = x.shape();
        int[] os = out.shape();
        Windows win = new Windows(Axis.rows(is, os, p), Axis.cols(is, os, p), is[3]);
        int planes = is[0] * is[1];
        int inPlane = is[2] * is[3];
        int outPlane = os[2] * os[3];
        long[] ia = indices.storage().longs();
        if (x.storage().array() instanceof float[] xa && VectorApi.ENABLED && VectorKernels.gathers() && win.all2x2()) {
            int[] at = win.firstTaps();
            float[] oa = out.storage().floats();
            for (int pl = 0; pl < planes; pl++) {
                VectorKernels.maxPool2x2(xa, x.offset() + pl * inPlane, at, outPlane, is[3], oa, out.offset() + pl * outPlane, ia,
                        indices.offset() + pl * outPlane);
            }
            return;
        }
        for (int pl = 0; pl < planes; pl++) {
            int xb = x.offset() + pl * inPlane;
            int ob = out.offset() + pl * outPlane;
            int ib = indices.offset() + pl * outPlane;
            if (x.storage().array() instanceof float[] xa) {
                maxPlane(xa, xb, win, out.storage().floats(), ob, ia, ib);
            } else {
                maxPlane(x.storage().doubles(), xb, win, out.storage().doubles(), ob, ia, ib);
            }
        }
        Reference.reachabilityFence(x);
    }

    /** Both axes' windows and the input's row length: what every plane's loops need. */
    private record Windows(Axis rows, Axis cols, int w) {
        /** Plane-relative index of the first in-bounds tap of window {@code (r, c)}. */
        int first(int r, int c) {
            return rows.first[r] * w + cols.first[c];
        }

        /** {@link #first} of every window, row-major over the output plane. */
        int[] firstTaps() {
            int ow = cols.first.length;
            int[] at = new int[rows.first.length * ow];
            for (int o = 0; o < at.length; o++) {
                at[o] = first(o / ow, o % ow);
            }
            return at;
        }

        boolean empty(int r, int c) {
            return rows.count[r] == 0 || cols.count[c] == 0;
        }

        /** Whether every window is a full, undilated 2x2 block of the input. */
        boolean all2x2() {
            return rows.step == 1 && cols.step == 1 && Arrays.stream(rows.count).allMatch(n -> n == 2)
                    && Arrays.stream(cols.count).allMatch(n -> n == 2);
        }
    }

    // Note [Max-pool loops]: a tap is taken when v > max or v is NaN (PyTorch's rule: a NaN
    // propagates, and the index is the last NaN's). At LeNet's sizes (2x2 windows) the per-window loops with their
    // tiny, data-independent trip counts cost more than the comparisons; the fully unrolled 2x2
    // case measured 0.63 ms against 1.02 ms for the generic loops on conv1's output (FLOAT32),
    // and neither conditional-move nor arithmetic selects helped. With the Vector API, FLOAT32 2x2
    // windows take VectorKernels.maxPool2x2 (Note [Max-pool 2x2 in pairs]): 0.09 ms there.
    // Tried on LeNet's first pool at batch 64 (2026-11-23, CPU time into existing outputs, load ~12)
    // and not kept: for 2x2 windows that tile the input, contiguous row loads split into even and
    // odd lanes by two-vector rearranges instead of gathers, 0.65 ms against 0.22 (JDK 17 does not
    // compile the two-vector rearrange into permutes); and a backward pass writing every input
    // element once (zeros, then the gradient at the arg-max) instead of a fill and a scatter,
    // 0.64 ms against 0.23, both into fresh arrays (0.86 with per-tap selects).

    private static void maxPlane(float[] x, int xb, Windows win, float[] out, int ob, long[] idx, int ib) {
        Axis rows = win.rows;
        Axis cols = win.cols;
        int w = win.w;
        if (win.all2x2()) {
            for (int r = 0, o = 0; r < rows.first.length; r++) {
                int row = xb + rows.first[r] * w;
                for (int c = 0; c < cols.first.length; c++, o++) {
                    int best = argMax2x2(x, row + cols.first[c], w);
                    out[ob + o] = x[best];
                    idx[ib + o] = best - xb;
                }
            }
            return;
        }
        int rowStep = rows.step * w;
        for (int r = 0, o = 0; r < rows.first.length; r++) {
            for (int c = 0; c < cols.first.length; c++, o++) {
                int best = win.empty(r, c) ? -1 : win.first(r, c);
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0, row = win.first(r, c); i < rows.count[r]; i++, row += rowStep) {
                    for (int j = 0, at = row; j < cols.count[c]; j++, at += cols.step) {
                        float v = x[xb + at];
                        if (v > max || v != v) {
                            max = v;
                            best = at;
                        }
                    }
                }
                out[ob + o] = best < 0 ? Float.NEGATIVE_INFINITY : x[xb + best];
                idx[ib + o] = best;
            }
        }
    }

    /** See Note [Max-pool loops]: the array index of the largest of x[at], x[at + 1], x[at + w], x[at + w + 1]. */
    static int argMax2x2(float[] x, int at, int w) {
        int best = at;
        float max = x[at];
        float v = x[at + 1];
        if (v > max || v != v) {
            max = v;
            best = at + 1;
        }
        v = x[at + w];
        if (v > max || v != v) {
            max = v;
            best = at + w;
        }
        v = x[at + w + 1];
        if (v > max || v != v) {
            best = at + w + 1;
        }
        return best;
    }

    private static void maxPlane(double[] x, int xb, Windows win, double[] out, int ob, long[] idx, int ib) {
        Axis rows = win.rows;
        Axis cols = win.cols;
        int rowStep = rows.step * win.w;
        for (int r = 0, o = 0; r < rows.first.length; r++) {
            for (int c = 0; c < cols.first.length; c++, o++) {
                int best = win.empty(r, c) ? -1 : win.first(r, c);
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0, row = win.first(r, c); i < rows.count[r]; i++, row += rowStep) {
                    for (int j = 0, at = row; j < cols.count[c]; j++, at += cols.step) {
                        double v = x[xb + at];
                        if (v > max || v != v) {
                            max = v;
                            best = at;
                        }
                    }
                }
                out[ob + o] = best < 0 ? Double.NEGATIVE_INFINITY : x[xb + best];
                idx[ib + o] = best;
            }
        }
    }

    static void maxPoolBackward(NDArray gradOut, NDArray indices, NDArray gradInput) {
        NDArray g = gradOut.contiguous();
        NDArray idx = indices.contiguous();
        int[] is = gradInput.shape();
        int[] os = g.shape();
        int inPlane = is[2] * is[3];
        int outPlane = os[2] * os[3];
        int planes = is[0] * is[1];
        long[] ia = idx.storage().longs();
        ConvWorkspace.fill(gradInput.storage().array(), gradInput.offset(), planes * inPlane, 0);
        for (int pl = 0; pl < planes; pl++) {
            int db = gradInput.offset() + pl * inPlane;
            int gb = g.offset() + pl * outPlane;
            int ib = idx.offset() + pl * outPlane;
            checkIndices(ia, ib, outPlane, is);
            if (g.storage().array() instanceof float[] ga) {
                float[] dx = gradInput.storage().floats();
                for (int o = 0; o < outPlane; o++) {
                    long i = ia[ib + o];
                    if (i >= 0) {
                        dx[db + (int) i] += ga[gb + o];
                    }
                }
            } else {
                double[] ga = g.storage().doubles();
                double[] dx = gradInput.storage().doubles();
                for (int o = 0; o < outPlane; o++) {
                    long i = ia[ib + o];
                    if (i >= 0) {
                        dx[db + (int) i] += ga[gb + o];
                    }
                }
            }
        }
        Reference.reachabilityFence(g);
        Reference.reachabilityFence(idx);
    }

    private static void checkIndices(long[] ia, int from, int n, int[] inputShape) {
        long limit = (long) inputShape[2] * inputShape[3];
        for (int o = from; o < from + n; o++) {
            if (ia[o] >= limit) {
                throw new IllegalArgumentException("maxPool2dBackward: index " + ia[o] + " out of range for an input plane of "
                        + inputShape[2] + "x" + inputShape[3]);
            }
        }
    }

    static void avgPool(NDArray input, Pool2dParams p, NDArray out) {
        NDArray x = input.contiguous();
        int[] is = x.shape();
        int[] os = out.shape();
        Windows win = new Windows(Axis.rows(is, os, p), Axis.cols(is, os, p), is[3]);
        int[] divisors = divisors(win, p);
        int planes = is[0] * is[1];
        int inPlane = is[2] * is[3];
        int outPlane = os[2] * os[3];
        for (int pl = 0; pl < planes; pl++) {
            int xb = x.offset() + pl * inPlane;
            int ob = out.offset() + pl * outPlane;
            if (x.storage().array() instanceof float[] xa) {
                float[] y = out.storage().floats();
                for (int o = 0; o < outPlane; o++) {
                    int r = o / os[3];
                    int c = o % os[3];
                    float s = 0;
                    for (int i = 0, row = xb + win.first(r, c); i < win.rows.count[r]; i++, row += win.w) {
                        for (int j = 0; j < win.cols.count[c]; j++) {
                            s += xa[row + j];
                        }
                    }
                    y[ob + o] = divisors[o] == 0 ? 0 : s / divisors[o];
                }
            } else {
                double[] xa = x.storage().doubles();
                double[] y = out.storage().doubles();
                for (int o = 0; o < outPlane; o++) {
                    int r = o / os[3];
                    int c = o % os[3];
                    double s = 0;
                    for (int i = 0, row = xb + win.first(r, c); i < win.rows.count[r]; i++, row += win.w) {
                        for (int j = 0; j < win.cols.count[c]; j++) {
                            s += xa[row + j];
                        }
                    }
                    y[ob + o] = divisors[o] == 0 ? 0 : s / divisors[o];
                }
            }
        }
        Reference.reachabilityFence(x);
    }

    /** Per output position: the window size with padding ({@code countIncludePad}) or the in-bounds taps only. */
    private static int[] divisors(Windows win, Pool2dParams p) {
        int oh = win.rows.first.length;
        int ow = win.cols.first.length;
        int[] d = new int[oh * ow];
        for (int r = 0; r < oh; r++) {
            for (int c = 0; c < ow; c++) {
                d[r * ow + c] = p.countIncludePad() ? win.rows.extent[r] * win.cols.extent[c] : win.rows.count[r] * win.cols.count[c];
            }
        }
        return d;
    }

    static void avgPoolBackward(NDArray gradOut, Pool2dParams p, NDArray gradInput) {
        NDArray g = gradOut.contiguous();
        int[] is = gradInput.shape();
        int[] os = g.shape();
        Windows win = new Windows(Axis.rows(is, os, p), Axis.cols(is, os, p), is[3]);
        int[] divisors = divisors(win, p);
        int planes = is[0] * is[1];
        int inPlane = is[2] * is[3];
        int outPlane = os[2] * os[3];
        ConvWorkspace.fill(gradInput.storage().array(), gradInput.offset(), planes * inPlane, 0);
        for (int pl = 0; pl < planes; pl++) {
            int db = gradInput.offset() + pl * inPlane;
            int gb = g.offset() + pl * outPlane;
            if (g.storage().array() instanceof float[] ga) {
                float[] dx = gradInput.storage().floats();
                for (int o = 0; o < outPlane; o++) {
                    if (divisors[o] == 0) {
                        continue;
                    }
                    int r = o / os[3];
                    int c = o % os[3];
                    float share = ga[gb + o] / divisors[o];
                    for (int i = 0, row = db + win.first(r, c); i < win.rows.count[r]; i++, row += win.w) {
                        for (int j = 0; j < win.cols.count[c]; j++) {
                            dx[row + j] += share;
                        }
                    }
                }
            } else {
                double[] ga = g.storage().doubles();
                double[] dx = gradInput.storage().doubles();
                for (int o = 0; o < outPlane; o++) {
                    if (divisors[o] == 0) {
                        continue;
                    }
                    int r = o / os[3];
                    int c = o % os[3];
                    double share = ga[gb + o] / divisors[o];
                    for (int i = 0, row = db + win.first(r, c); i < win.rows.count[r]; i++, row += win.w) {
                        for (int j = 0; j < win.cols.count[c]; j++) {
                            dx[row + j] += share;
                        }
                    }
                }
            }
        }
        Reference.reachabilityFence(g);
    }
}
