package io.torus.tensor.backend.cpu;

import io.torus.tensor.NDArray;
import io.torus.tensor.op.Pool2dParams;

/**
 * Max and average pooling over NCHW planes, direct loops as PyTorch's CPU kernels
 * ({@code aten/src/ATen/native/cpu/MaxPoolKernel.cpp}, {@code AvgPoolKernel.cpp}).
 *
 * <p>Every plane uses the same windows, so each axis's windows are worked out once
 * ({@link Axis}): where a window's first in-bounds tap is, how many taps land inside the input,
 * and how far the window reaches into the padding (the average's divisor when padding counts).
 * The per-element loops then run without bounds checks. Max pooling records the arg-max as a flat
 * index {@code h * W + w} into the input plane, NaN winning as in PyTorch; the backward pass adds
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
        Axis rows = Axis.rows(is, os, p);
        Axis cols = Axis.cols(is, os, p);
        int h = is[2];
        int w = is[3];
        int planes = is[0] * is[1];
        Object xa = x.storage().array();
        Object oa = out.storage().array();
        long[] ia = indices.storage().longs();
        for (int plane = 0; plane < planes; plane++) {
            int xb = x.offset() + plane * h * w;
            int o = plane * os[2] * os[3];
            for (int r = 0; r < os[2]; r++) {
                for (int c = 0; c < os[3]; c++, o++) {
                    int first = rows.first[r] * w + cols.first[c];
                    int best = -1;
                    if (rows.count[r] > 0 && cols.count[c] > 0) {
                        best = xa instanceof float[] f
                                ? argMax(f, xb, first, rows.count[r], cols.count[c], rows.step * w, cols.step)
                                : argMax((double[]) xa, xb, first, rows.count[r], cols.count[c], rows.step * w, cols.step);
                    }
                    ia[indices.offset() + o] = best;
                    ConvWorkspace.set(oa, out.offset() + o, best < 0 ? Double.NEGATIVE_INFINITY : ConvWorkspace.get(xa, xb + best));
                }
            }
        }
    }

    /** The plane-relative index of the largest of {@code rows x cols} taps starting at {@code first}; NaN wins. */
    private static int argMax(float[] x, int base, int first, int rows, int cols, int rowStep, int colStep) {
        int best = first;
        float max = Float.NEGATIVE_INFINITY;
        for (int r = 0, row = first; r < rows; r++, row += rowStep) {
            for (int c = 0, i = row; c < cols; c++, i += colStep) {
                float v = x[base + i];
                if (v > max || Float.isNaN(v)) {
                    max = v;
                    best = i;
                }
            }
        }
        return best;
    }

    private static int argMax(double[] x, int base, int first, int rows, int cols, int rowStep, int colStep) {
        int best = first;
        double max = Double.NEGATIVE_INFINITY;
        for (int r = 0, row = first; r < rows; r++, row += rowStep) {
            for (int c = 0, i = row; c < cols; c++, i += colStep) {
                double v = x[base + i];
                if (v > max || Double.isNaN(v)) {
                    max = v;
                    best = i;
                }
            }
        }
        return best;
    }

    static void maxPoolBackward(NDArray gradOut, NDArray indices, NDArray gradInput) {
        NDArray g = gradOut.contiguous();
        NDArray idx = indices.contiguous();
        int[] is = gradInput.shape();
        int[] os = g.shape();
        int planeSize = is[2] * is[3];
        int outPlane = os[2] * os[3];
        int planes = is[0] * is[1];
        Object ga = g.storage().array();
        Object dx = gradInput.storage().array();
        long[] ia = idx.storage().longs();
        ConvWorkspace.fill(dx, gradInput.offset(), planes * planeSize, 0);
        for (int plane = 0; plane < planes; plane++) {
            int db = gradInput.offset() + plane * planeSize;
            for (int o = 0; o < outPlane; o++) {
                int at = plane * outPlane + o;
                long i = ia[idx.offset() + at];
                if (i < 0) {
                    continue;
                }
                if (i >= planeSize) {
                    throw new IllegalArgumentException("maxPool2dBackward: index " + i + " out of range for an input plane of "
                            + is[2] + "x" + is[3]);
                }
                int d = db + (int) i;
                ConvWorkspace.set(dx, d, ConvWorkspace.get(dx, d) + ConvWorkspace.get(ga, g.offset() + at));
            }
        }
    }

    static void avgPool(NDArray input, Pool2dParams p, NDArray out) {
        NDArray x = input.contiguous();
        int[] is = x.shape();
        int[] os = out.shape();
        Axis rows = Axis.rows(is, os, p);
        Axis cols = Axis.cols(is, os, p);
        int w = is[3];
        int planeSize = is[2] * w;
        int planes = is[0] * is[1];
        Object xa = x.storage().array();
        Object oa = out.storage().array();
        for (int plane = 0; plane < planes; plane++) {
            int xb = x.offset() + plane * planeSize;
            int o = out.offset() + plane * os[2] * os[3];
            for (int r = 0; r < os[2]; r++) {
                for (int c = 0; c < os[3]; c++, o++) {
                    int first = xb + rows.first[r] * w + cols.first[c];
                    double sum = xa instanceof float[] f
                            ? sum(f, first, rows.count[r], cols.count[c], w)
                            : sum((double[]) xa, first, rows.count[r], cols.count[c], w);
                    int divisor = divisor(p, rows, r, cols, c);
                    ConvWorkspace.set(oa, o, divisor == 0 ? 0 : sum / divisor);
                }
            }
        }
    }

    private static double sum(float[] x, int first, int rows, int cols, int rowStep) {
        float s = 0;
        for (int r = 0, row = first; r < rows; r++, row += rowStep) {
            for (int c = 0; c < cols; c++) {
                s += x[row + c];
            }
        }
        return s;
    }

    private static double sum(double[] x, int first, int rows, int cols, int rowStep) {
        double s = 0;
        for (int r = 0, row = first; r < rows; r++, row += rowStep) {
            for (int c = 0; c < cols; c++) {
                s += x[row + c];
            }
        }
        return s;
    }

    private static int divisor(Pool2dParams p, Axis rows, int r, Axis cols, int c) {
        return p.countIncludePad() ? rows.extent[r] * cols.extent[c] : rows.count[r] * cols.count[c];
    }

    static void avgPoolBackward(NDArray gradOut, Pool2dParams p, NDArray gradInput) {
        NDArray g = gradOut.contiguous();
        int[] is = gradInput.shape();
        int[] os = g.shape();
        Axis rows = Axis.rows(is, os, p);
        Axis cols = Axis.cols(is, os, p);
        int w = is[3];
        int planeSize = is[2] * w;
        int planes = is[0] * is[1];
        Object ga = g.storage().array();
        Object dx = gradInput.storage().array();
        ConvWorkspace.fill(dx, gradInput.offset(), planes * planeSize, 0);
        for (int plane = 0; plane < planes; plane++) {
            int db = gradInput.offset() + plane * planeSize;
            int o = g.offset() + plane * os[2] * os[3];
            for (int r = 0; r < os[2]; r++) {
                for (int c = 0; c < os[3]; c++, o++) {
                    int divisor = divisor(p, rows, r, cols, c);
                    if (divisor == 0) {
                        continue;
                    }
                    double share = ConvWorkspace.get(ga, o) / divisor;
                    int first = db + rows.first[r] * w + cols.first[c];
                    if (dx instanceof float[] f) {
                        spread(f, (float) share, first, rows.count[r], cols.count[c], w);
                    } else {
                        spread((double[]) dx, share, first, rows.count[r], cols.count[c], w);
                    }
                }
            }
        }
    }

    private static void spread(float[] dx, float share, int first, int rows, int cols, int rowStep) {
        for (int r = 0, row = first; r < rows; r++, row += rowStep) {
            for (int c = 0; c < cols; c++) {
                dx[row + c] += share;
            }
        }
    }

    private static void spread(double[] dx, double share, int first, int rows, int cols, int rowStep) {
        for (int r = 0, row = first; r < rows; r++, row += rowStep) {
            for (int c = 0; c < cols; c++) {
                dx[row + c] += share;
            }
        }
    }
}
