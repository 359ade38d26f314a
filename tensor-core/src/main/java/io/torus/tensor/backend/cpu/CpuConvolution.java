package io.torus.tensor.backend.cpu;

import io.torus.tensor.NDArray;
import io.torus.tensor.op.Conv2dParams;

import java.lang.ref.Reference;

import static io.torus.tensor.backend.cpu.ConvWorkspace.Buffer.COLUMNS;
import static io.torus.tensor.backend.cpu.ConvWorkspace.Buffer.PLANE;
import static io.torus.tensor.backend.cpu.ConvWorkspace.Buffer.SMALL;
import static io.torus.tensor.backend.cpu.ConvWorkspace.Operand.A;
import static io.torus.tensor.backend.cpu.ConvWorkspace.Operand.B;
import static io.torus.tensor.backend.cpu.ConvWorkspace.Operand.C;

/**
 * 2-D convolution (NCHW, groups = 1) on the CPU as im2col + GEMM, one sample at a time, as Caffe
 * and PyTorch's slow path do ({@code caffe/util/im2col.cpp}, ATen {@code Unfold2d}).
 *
 * <p>For sample {@code n}, im2col copies its (zero-padded) input into a column matrix
 * {@code cols [K, L]} with one row per kernel tap {@code (c, kh, kw)}, {@code K = C·KH·KW}, and one
 * column per output position; then
 * <pre>
 *   forward        out_n  [O, L] = W [O, K] · cols [K, L]             (+ bias, see below)
 *   weight grad    dW^T   [K, O] += cols [K, L] · g_n^T [L, O]         (summed over the batch by beta = 1)
 *   input grad     dcols  [K, L] = W^T [K, O] · g_n [O, L]; col2im adds dcols back into dx_n
 * </pre>
 * The bias rides along in the GEMMs: a row of ones appended to {@code cols} and the bias appended
 * to W as a last column give {@code W·cols + b}; the same ones row makes the last row of the
 * weight-gradient GEMM the bias gradient, {@code sum(g_n)}, at no extra pass.
 *
 * <p>Note [Wide columns]: with stride 1 the columns use the padded input's row pitch {@code Wp}
 * instead of {@code OW}: output {@code (oh, ow)} sits at column {@code oh·Wp + ow}, so the row of
 * tap {@code (c, kh, kw)} is one contiguous run of the padded plane starting at
 * {@code kh·dh·Wp + kw·dw}, {@code L = (OH-1)·Wp + OW} long, copied by one arraycopy rather than
 * OH short ones. The {@code Wp - OW} columns between output rows are garbage in the forward pass
 * (dropped when the result is copied out) and zero in the gradients (their g columns are zero),
 * so col2im may add them back harmlessly (one caveat: a non-finite input element that only a gap
 * column reads for some tap turns that tap's weight gradient into NaN through 0·inf, where the
 * exact gradient is finite; the forward pass is exact). It costs {@code Wp/OW} more GEMM work
 * (1.2x and 1.5x for LeNet's two layers) and wins because the copies, not the GEMM, dominate at
 * these sizes. Strided convolutions use the compact layout ({@code L = OH·OW}).
 *
 * <p>Measured on LeNet's shapes at batch 64 (2-vCPU box, OpenBLAS 0.3.31 with
 * OPENBLAS_CORETYPE unset, one thread, FLOAT32, median ms; conv1 [64,1,28,28]*[6,1,5,5] /
 * conv2 [64,6,12,12]*[16,6,5,5]; the two blocks are separate runs):
 * <pre>
 *                                  forward       weight+bias grad   input grad (conv2)
 *   ConvBench:
 *   direct Java loops (C2-vectorised, rows on the input's pitch, 5 taps fused per pass)
 *                                  1.49 / 3.10   3.58 / 7.73        6.22
 *   im2col wide + sgemm (this)     0.45 / 0.48   0.36 / 0.63        0.68
 *   prototype, head to head:
 *   im2col compact + sgemm         0.40 / 0.56   0.42 / 0.76        0.76
 *   im2col wide + sgemm            0.40 / 0.48   0.35 / 0.64        0.65
 *   sgemm on heap arrays           ~60 per layer (see Note [Native GEMM operands])
 * </pre>
 * Direct loops lose because Java's vectoriser only gets short rows here and cannot vectorise the
 * weight gradient's dot products; the sgemm itself takes ~0.1 ms per layer, the rest is data
 * movement. {@code ConvBench} (test sources) reruns the first block.
 *
 * <p>Tried since and not kept (2026-11-23, LeNet shapes at batch 64, CPU time per call, load 3-12,
 * pinned OpenBLAS): several samples side by side in one GEMM (columns {@code [K, nb·L]}, one call
 * per group) was no faster at 2 samples and up to 2.5x slower at 4-16 (conv1 forward 0.32 ms at 1,
 * 0.81 at 8; OpenBLAS handles these thin products best one sample at a time); a direct Vector API
 * forward pass for one input channel (conv1: each input run loaded once per tap, four rows of fused
 * multiply-adds at a time, no column matrix) took 0.31 ms against 0.32 here with padding and
 * 0.28 against 0.24 without. The input gradient reads the product where the GEMM left it
 * ({@link ConvWorkspace#result}) and adds it back with vector adds: conv2's input gradient went
 * from ~1.0 to ~0.6 ms.
 */
final class CpuConvolution {
    private CpuConvolution() {
    }

    /** Sizes of one convolution and the layout of its column matrix. */
    private record Geometry(int n, int c, int h, int w, int o, int kh, int kw, int oh, int ow, Conv2dParams p) {
        static Geometry of(int[] input, int[] weight, int[] output, Conv2dParams p) {
            return new Geometry(input[0], input[1], input[2], input[3], weight[0], weight[2], weight[3], output[2], output[3], p);
        }

        int hp() {
            return h + 2 * p.paddingH();
        }

        int wp() {
            return w + 2 * p.paddingW();
        }

        boolean padded() {
            return p.paddingH() > 0 || p.paddingW() > 0;
        }

        /** Taps per output: rows of the column matrix, not counting the bias row. */
        int k() {
            return c * kh * kw;
        }

        /** See Note [Wide columns]. */
        boolean wide() {
            return p.strideH() == 1 && p.strideW() == 1;
        }

        /** Distance between consecutive output rows within a column-matrix row. */
        int pitch() {
            return wide() ? wp() : ow;
        }

        /** Columns of the column matrix. */
        int l() {
            return wide() ? (oh - 1) * wp() + ow : oh * ow;
        }

        /** Whether the column layout is exactly the output plane's [OH, OW]. */
        boolean compactOutput() {
            return pitch() == ow || oh == 1;
        }

        int inPlane() {
            return c * h * w;
        }

        int outPlane() {
            return o * oh * ow;
        }
    }

    static void forward(ConvWorkspace ws, NDArray input, NDArray weight, NDArray bias, Conv2dParams p, NDArray out) {
        Geometry g = Geometry.of(input.shape(), weight.shape(), out.shape(), p);
        NDArray x = input.contiguous();
        NDArray wt = weight.contiguous();
        int k = g.k();
        int kb = k + (bias != null ? 1 : 0);
        int l = g.l();
        Object outArr = out.storage().array();
        // A = [W | b], O rows of K (+1) taps
        Object a = ws.buffer(SMALL, g.o * kb);
        for (int o = 0; o < g.o; o++) {
            ConvWorkspace.copy(wt.storage().array(), wt.offset() + o * k, 1, a, o * kb, k);
            if (bias != null) {
                ConvWorkspace.set(a, o * kb + k, bias.getDouble(o));
            }
        }
        ws.put(A, a, 0, g.o * kb);
        ws.reserve(B, kb * l);
        if (bias != null) {
            ws.fill(B, k * l, l, 1);
        }
        Source src = new Source(ws, x, g);
        int plane = g.oh * g.ow;
        for (int n = 0; n < g.n; n++) {
            im2col(src.plane(n), src.offset(n), g, ws, B);
            ws.gemm(false, false, g.o, l, kb, false);
            int dst = out.offset() + n * g.outPlane();
            if (g.compactOutput()) {
                ws.get(C, outArr, dst, g.outPlane());
                continue;
            }
            Object c = ws.result(g.o * l);
            for (int o = 0; o < g.o; o++) {
                for (int r = 0; r < g.oh; r++) {
                    System.arraycopy(c, o * l + r * g.pitch(), outArr, dst + o * plane + r * g.ow, g.ow);
                }
            }
        }
        keepAlive(x, wt); // copies made above, read through bare arrays (Note [Storage arrays] in StoragePool)
    }

    /** Keeps a kernel's own contiguous copies, read through bare arrays, reachable until it is done. */
    private static void keepAlive(NDArray a, NDArray b) {
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
    }

    static void backwardWeight(ConvWorkspace ws, NDArray gradOut, NDArray input, Conv2dParams p, NDArray gradWeight,
                               NDArray gradBias) {
        Geometry g = Geometry.of(input.shape(), gradWeight.shape(), gradOut.shape(), p);
        NDArray x = input.contiguous();
        NDArray go = gradOut.contiguous();
        int k = g.k();
        int kb = k + (gradBias != null ? 1 : 0);
        int l = g.l();
        // transposed, dW^T [K, O] += cols [K, L] · g_n^T [L, O]: 0.28 ms instead of 0.38 for
        // LeNet's conv2 over the batch (OpenBLAS 0.3.31, SkylakeX kernels), the same for conv1
        ws.reserve(A, kb * l);
        ws.reserve(B, g.o * l);
        if (gradBias != null) {
            ws.fill(A, k * l, l, 1);
        }
        zeroGaps(ws, B, g);
        Source src = new Source(ws, x, g);
        for (int n = 0; n < g.n; n++) {
            im2col(src.plane(n), src.offset(n), g, ws, A);
            loadGradRows(ws, B, go, g, n);
            ws.gemm(false, true, kb, g.o, l, n > 0);
        }
        Object dwt = ws.buffer(SMALL, g.o * kb);
        if (g.n == 0) {
            ConvWorkspace.fill(dwt, 0, g.o * kb, 0);
        } else {
            ws.get(C, dwt, 0, g.o * kb);
        }
        Object dwArr = gradWeight.storage().array();
        for (int o = 0; o < g.o; o++) {
            ConvWorkspace.copy(dwt, o, g.o, dwArr, gradWeight.offset() + o * k, k);
            if (gradBias != null) {
                gradBias.setDouble(o, ConvWorkspace.get(dwt, k * g.o + o));
            }
        }
        keepAlive(x, go);
    }

    static void backwardInput(ConvWorkspace ws, NDArray gradOut, NDArray weight, Conv2dParams p, NDArray gradInput) {
        Geometry g = Geometry.of(gradInput.shape(), weight.shape(), gradOut.shape(), p);
        NDArray wt = weight.contiguous();
        NDArray go = gradOut.contiguous();
        int k = g.k();
        int l = g.l();
        Object dx = gradInput.storage().array();
        ws.put(A, wt.storage().array(), wt.offset(), g.o * k);
        ws.reserve(B, g.o * l);
        zeroGaps(ws, B, g);
        Object plane = g.padded() ? ws.buffer(PLANE, g.c * g.hp() * g.wp()) : null;
        if (plane == null) {
            ConvWorkspace.fill(dx, gradInput.offset(), g.n * g.inPlane(), 0);
        }
        for (int n = 0; n < g.n; n++) {
            loadGradRows(ws, B, go, g, n);
            ws.gemm(true, false, k, l, g.o, false);
            Object dcols = ws.result(k * l);
            int base = gradInput.offset() + n * g.inPlane();
            if (plane == null) {
                col2im(dcols, g, dx, base);
                continue;
            }
            ConvWorkspace.fill(plane, 0, g.c * g.hp() * g.wp(), 0);
            col2im(dcols, g, plane, 0);
            for (int c = 0; c < g.c; c++) {
                for (int r = 0; r < g.h; r++) {
                    int from = (c * g.hp() + r + g.p.paddingH()) * g.wp() + g.p.paddingW();
                    System.arraycopy(plane, from, dx, base + (c * g.h + r) * g.w, g.w);
                }
            }
        }
        keepAlive(wt, go);
    }

    /**
     * Row {@code (c, kh, kw)} of the column matrix holds, for every output position, the padded
     * input element that tap multiplies; {@code plane} holds the sample's padded planes
     * {@code [C, Hp, Wp]} from {@code base}. The rows go straight into GEMM operand {@code to}.
     */
    private static void im2col(Object plane, int base, Geometry g, ConvWorkspace ws, ConvWorkspace.Operand to) {
        Conv2dParams p = g.p;
        int l = g.l();
        int row = 0;
        Object strided = p.strideW() == 1 ? null : ws.buffer(COLUMNS, g.ow);
        for (int c = 0; c < g.c; c++) {
            for (int i = 0; i < g.kh; i++) {
                for (int j = 0; j < g.kw; j++, row++) {
                    int from = base + (c * g.hp() + i * p.dilationH()) * g.wp() + j * p.dilationW();
                    int at = row * l;
                    if (g.wide()) {
                        ws.write(to, at, plane, from, l);
                        continue;
                    }
                    for (int r = 0; r < g.oh; r++) {
                        int src = from + r * p.strideH() * g.wp();
                        if (strided == null) {
                            ws.write(to, at + r * g.ow, plane, src, g.ow);
                        } else {
                            ConvWorkspace.copy(plane, src, p.strideW(), strided, 0, g.ow);
                            ws.write(to, at + r * g.ow, strided, 0, g.ow);
                        }
                    }
                }
            }
        }
    }

    /**
     * The adjoint of {@link #im2col}: adds every column-matrix entry back onto the element it was
     * copied from; the wide rows with vector adds (C2 leaves them scalar: Note [Vectorized
     * arithmetic] in VectorKernels).
     */
    private static void col2im(Object cols, Geometry g, Object plane, int base) {
        Conv2dParams p = g.p;
        int l = g.l();
        int row = 0;
        for (int c = 0; c < g.c; c++) {
            for (int i = 0; i < g.kh; i++) {
                for (int j = 0; j < g.kw; j++, row++) {
                    int to = base + (c * g.hp() + i * p.dilationH()) * g.wp() + j * p.dilationW();
                    int from = row * l;
                    if (g.wide()) {
                        ConvWorkspace.add(cols, from, plane, to, 1, l);
                        continue;
                    }
                    for (int r = 0; r < g.oh; r++) {
                        ConvWorkspace.add(cols, from + r * g.ow, plane, to + r * p.strideH() * g.wp(), p.strideW(), g.ow);
                    }
                }
            }
        }
    }

    /** Zeroes operand {@code to} as {@code [O, L]} once per call when the layout is wide, so that the gaps read as zero. */
    private static void zeroGaps(ConvWorkspace ws, ConvWorkspace.Operand to, Geometry g) {
        if (!g.compactOutput()) {
            ws.fill(to, 0, g.o * g.l(), 0);
        }
    }

    /**
     * Writes sample {@code n}'s output gradient into GEMM operand {@code to} as {@code [O, L]}:
     * whole planes when the column layout is compact, else each output row at the wide pitch; the
     * gaps between rows are left as they are, zero since {@link #zeroGaps}.
     */
    private static void loadGradRows(ConvWorkspace ws, ConvWorkspace.Operand to, NDArray go, Geometry g, int n) {
        Object data = go.storage().array();
        int base = go.offset() + n * g.outPlane();
        int plane = g.oh * g.ow;
        if (g.compactOutput()) {
            ws.write(to, 0, data, base, g.outPlane());
            return;
        }
        int l = g.l();
        for (int o = 0; o < g.o; o++) {
            int at = o * l;
            for (int r = 0; r < g.oh; r++) {
                ws.write(to, at + r * g.pitch(), data, base + o * plane + r * g.ow, g.ow);
            }
        }
    }

    /** Where each sample's padded input planes come from: the input itself, or a zero-bordered copy. */
    private static final class Source {
        private final NDArray x;
        private final Geometry g;
        private final Object padded;

        Source(ConvWorkspace ws, NDArray contiguousInput, Geometry g) {
            this.x = contiguousInput;
            this.g = g;
            if (g.padded()) {
                int size = g.c * g.hp() * g.wp();
                padded = ws.buffer(PLANE, size);
                ConvWorkspace.fill(padded, 0, size, 0); // the border stays zero; plane() rewrites the interior
            } else {
                padded = null;
            }
        }

        Object plane(int n) {
            if (padded == null) {
                return x.storage().array();
            }
            Object data = x.storage().array();
            int base = x.offset() + n * g.inPlane();
            for (int c = 0; c < g.c; c++) {
                for (int r = 0; r < g.h; r++) {
                    System.arraycopy(data, base + (c * g.h + r) * g.w, padded,
                            (c * g.hp() + r + g.p.paddingH()) * g.wp() + g.p.paddingW(), g.w);
                }
            }
            return padded;
        }

        int offset(int n) {
            return padded == null ? x.offset() + n * g.inPlane() : 0;
        }
    }
}
