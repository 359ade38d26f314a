package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.NDArray;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The matrix product in Java with the Vector API, used when native BLAS is not available: the
 * GotoBLAS/BLIS scheme, written small.
 *
 * <pre>
 *   for jc in columns, step NC           B[pc:pc+KC, jc:jc+NC] is packed once per (jc, pc) into
 *     for pc in depth, step KC           panels NR columns wide, row after row (stays in L2/L3)
 *       pack B
 *       for ic in rows, step MC          A[ic:ic+MC, pc:pc+KC] is packed into panels MR rows tall,
 *         pack A                         column after column (stays in L2)
 *         for each NR panel, MR panel    micro-kernel: an MR x NR block of C held in registers,
 *           micro-kernel                 updated by KC rank-1 steps (one FMA per register per step)
 * </pre>
 * The micro-kernel is 6 rows by 2 vectors (6 x 32 floats with AVX-512, 6 x 16 with AVX2): 12
 * accumulators, 2 vectors of B and one broadcast of A, which fits AVX2's 16 registers too. (An
 * 8-row variant measured 8x slower on JDK 17: C2 stops keeping the vectors in registers.)
 * Packing pads edges with zeros, so the kernel always runs whole blocks; edge blocks go
 * through a small tile and only their valid part is added to C. Operands may have any strides
 * (transposed views are packed directly). Measured single-thread FLOAT32 on AVX-512 (2-vCPU VM):
 * 64x784x256 ~90 GFLOP/s, 256^3 ~110, 1024^3 ~130, i.e. about 0.7x OpenBLAS's AVX-512 kernels.
 *
 * <p>Each element of C is summed over k in the same order whatever the blocking of rows and
 * columns, so splitting MC blocks and NR-panel groups over {@link IntraOp} threads gives the
 * same bits as one thread.
 */
final class VectorGemm {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int FL = FS.length();
    private static final int DL = DS.length();
    static final int MR = 6;
    private static final int FNR = 2 * FL;
    private static final int DNR = 2 * DL;
    static final int KC = 256;
    static final int MC = 96;
    static final int NC = 2048;
    /** NR panels per parallel chunk when several threads share one MC block. */
    private static final int PANEL_GROUP = 4;

    private static final ThreadLocal<float[][]> FLOAT_BUFFERS = ThreadLocal.withInitial(() -> new float[2][]);
    private static final ThreadLocal<double[][]> DOUBLE_BUFFERS = ThreadLocal.withInitial(() -> new double[2][]);

    private VectorGemm() {
    }

    /** {@code c = a · b} for 2-D views {@code [m, k] x [k, n] -> [m, n]} of FLOAT32 or FLOAT64, any strides. */
    static void gemm(NDArray a, NDArray b, NDArray c) {
        int m = a.shape()[0];
        int k = a.shape()[1];
        int n = b.shape()[1];
        if (m == 0 || n == 0) {
            return;
        }
        int[] cs = c.strides();
        boolean direct = (cs[1] == 1 || n == 1) && (cs[0] >= n || m == 1);
        NDArray target = direct ? c : NDArray.empty(c.dtype(), m, n);
        int ldc = m == 1 ? n : target.strides()[0];
        if (a.dtype() == DType.FLOAT32) {
            sgemm(m, n, k, new Operand(a), new Operand(b), target.storage().floats(), target.offset(), ldc);
        } else {
            dgemm(m, n, k, new Operand(a), new Operand(b), target.storage().doubles(), target.offset(), ldc);
        }
        if (!direct) {
            c.backend().copy(target, c);
        }
    }

    /** A 2-D operand: element (i, j) at {@code off + i * s0 + j * s1} of {@code array}. */
    private record Operand(Object array, int off, int s0, int s1) {
        Operand(NDArray x) {
            this(x.storage().array(), x.offset(), x.strides()[0], x.strides()[1]);
        }
    }

    private static int panels(int cols, int nr) {
        return (cols + nr - 1) / nr;
    }

    /** Products below this many multiply-adds run on the calling thread. */
    private static final long PARALLEL_WORK = 1L << 20;

    /** Whether an {@code m x k x n} product is worth spreading over the intra-op threads. */
    private static boolean parallel(int m, int n, int k) {
        return IntraOp.threads() > 1 && (long) m * n * k >= PARALLEL_WORK;
    }

    /** Chunks of one (jc, pc) step: MC blocks, times NR-panel groups when several threads share them. */
    private static int groups(boolean parallel, int nc, int nr) {
        return parallel ? panels(panels(nc, nr), PANEL_GROUP) : 1;
    }

    /** Runs the chunks of one (jc, pc) step, on the intra-op threads when {@code parallel}. */
    private static void forEachChunk(boolean parallel, int chunks, java.util.function.IntConsumer body) {
        if (parallel) {
            IntraOp.parallelFor(chunks, body);
        } else {
            for (int c = 0; c < chunks; c++) {
                body.accept(c);
            }
        }
    }

    // ------------------------------------------------------------------------------- FLOAT32

    private static void sgemm(int m, int n, int k, Operand a, Operand b, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
        }
        float[][] bufs = FLOAT_BUFFERS.get();
        int maxPanels = panels(Math.min(NC, n), FNR);
        float[] pb = bufs[0] == null || bufs[0].length < maxPanels * FNR * Math.min(KC, k)
                ? (bufs[0] = new float[maxPanels * FNR * KC]) : bufs[0];
        int mBlocks = (m + MC - 1) / MC;
        boolean parallel = parallel(m, n, k);
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            int np = panels(nc, FNR);
            int groups = groups(parallel, nc, FNR);
            int perGroup = (np + groups - 1) / groups;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                packB(b, pc, kc, jc, nc, pb);
                int jc0 = jc;
                int pc0 = pc;
                forEachChunk(parallel, mBlocks * groups, chunk -> {
                    int ic = (chunk / groups) * MC;
                    int mc = Math.min(MC, m - ic);
                    int p0 = (chunk % groups) * perGroup;
                    int p1 = Math.min(np, p0 + perGroup);
                    float[][] own = FLOAT_BUFFERS.get();
                    float[] pa = own[1] == null ? (own[1] = new float[MC * KC]) : own[1];
                    packA(a, ic, mc, pc0, kc, pa);
                    float[] tile = new float[MR * FNR];
                    for (int jp = p0; jp < p1; jp++) {
                        int j0 = jc0 + jp * FNR;
                        for (int ip = 0; ip * MR < mc; ip++) {
                            int i0 = ic + ip * MR;
                            if (i0 + MR <= m && j0 + FNR <= n) {
                                kernel(kc, pa, ip * kc * MR, pb, jp * kc * FNR, c, cOff + i0 * ldc + j0, ldc);
                            } else {
                                Arrays.fill(tile, 0f);
                                kernel(kc, pa, ip * kc * MR, pb, jp * kc * FNR, tile, 0, FNR);
                                for (int r = 0; r < MR && i0 + r < m; r++) {
                                    int row = cOff + (i0 + r) * ldc + j0;
                                    for (int j = 0; j < FNR && j0 + j < n; j++) {
                                        c[row + j] += tile[r * FNR + j];
                                    }
                                }
                            }
                        }
                    }
                });
            }
        }
    }

    /** Packs B[pc:pc+kc, jc:jc+nc] into panels of FNR columns: panel jp, row p at (jp * kc + p) * FNR. */
    private static void packB(Operand b, int pc, int kc, int jc, int nc, float[] pb) {
        float[] x = (float[]) b.array();
        int np = panels(nc, FNR);
        for (int jp = 0; jp < np; jp++) {
            int j0 = jc + jp * FNR;
            int w = Math.min(FNR, jc + nc - j0);
            int base = jp * kc * FNR;
            int s1 = b.s1();
            for (int p = 0; p < kc; p++) {
                int src = b.off() + (pc + p) * b.s0() + j0 * s1;
                int dst = base + p * FNR;
                if (s1 == 1) {
                    System.arraycopy(x, src, pb, dst, w);
                } else {
                    for (int j = 0; j < w; j++) {
                        pb[dst + j] = x[src + j * s1];
                    }
                }
                if (w < FNR) {
                    Arrays.fill(pb, dst + w, dst + FNR, 0f);
                }
            }
        }
    }

    /** Packs A[ic:ic+mc, pc:pc+kc] into panels of MR rows: panel ip, column p at (ip * kc + p) * MR. */
    private static void packA(Operand a, int ic, int mc, int pc, int kc, float[] pa) {
        float[] x = (float[]) a.array();
        for (int ip = 0; ip * MR < mc; ip++) {
            int base = ip * kc * MR;
            if (a.s1() != 1 && ip * MR + MR <= mc) { // rows are strided (a transposed view): read down columns
                int src = a.off() + (ic + ip * MR) * a.s0() + pc * a.s1();
                for (int p = 0; p < kc; p++) {
                    for (int r = 0; r < MR; r++) {
                        pa[base + p * MR + r] = x[src + p * a.s1() + r * a.s0()];
                    }
                }
                continue;
            }
            for (int r = 0; r < MR; r++) {
                int dst = base + r;
                if (ip * MR + r < mc) {
                    int src = a.off() + (ic + ip * MR + r) * a.s0() + pc * a.s1();
                    for (int p = 0; p < kc; p++) {
                        pa[dst + p * MR] = x[src + p * a.s1()];
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        pa[dst + p * MR] = 0f;
                    }
                }
            }
        }
    }

    /** C[6 x 2 vectors] at {@code co} (row stride {@code ldc}) += packed A panel · packed B panel. */
    private static void kernel(int kc, float[] pa, int ao, float[] pb, int bo, float[] c, int co, int ldc) {
        FloatVector c00 = FloatVector.zero(FS);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(FS, pb, bo);
            FloatVector b1 = FloatVector.fromArray(FS, pb, bo + FL);
            FloatVector x = FloatVector.broadcast(FS, pa[ao]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(FS, pa[ao + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(FS, pa[ao + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(FS, pa[ao + 3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(FS, pa[ao + 4]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(FS, pa[ao + 5]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
            ao += MR;
            bo += FNR;
        }
        accumulate(c, co, c00, c01);
        accumulate(c, co + ldc, c10, c11);
        accumulate(c, co + 2 * ldc, c20, c21);
        accumulate(c, co + 3 * ldc, c30, c31);
        accumulate(c, co + 4 * ldc, c40, c41);
        accumulate(c, co + 5 * ldc, c50, c51);
    }

    private static void accumulate(float[] c, int o, FloatVector v0, FloatVector v1) {
        FloatVector.fromArray(FS, c, o).add(v0).intoArray(c, o);
        FloatVector.fromArray(FS, c, o + FL).add(v1).intoArray(c, o + FL);
    }

    // ------------------------------------------------------------------------------- FLOAT64
    // The same scheme with DoubleVector; see the FLOAT32 section for comments.

    private static void dgemm(int m, int n, int k, Operand a, Operand b, double[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0d);
        }
        double[][] bufs = DOUBLE_BUFFERS.get();
        int maxPanels = panels(Math.min(NC, n), DNR);
        double[] pb = bufs[0] == null || bufs[0].length < maxPanels * DNR * Math.min(KC, k)
                ? (bufs[0] = new double[maxPanels * DNR * KC]) : bufs[0];
        int mBlocks = (m + MC - 1) / MC;
        boolean parallel = parallel(m, n, k);
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            int np = panels(nc, DNR);
            int groups = groups(parallel, nc, DNR);
            int perGroup = (np + groups - 1) / groups;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                packB(b, pc, kc, jc, nc, pb);
                int jc0 = jc;
                int pc0 = pc;
                forEachChunk(parallel, mBlocks * groups, chunk -> {
                    int ic = (chunk / groups) * MC;
                    int mc = Math.min(MC, m - ic);
                    int p0 = (chunk % groups) * perGroup;
                    int p1 = Math.min(np, p0 + perGroup);
                    double[][] own = DOUBLE_BUFFERS.get();
                    double[] pa = own[1] == null ? (own[1] = new double[MC * KC]) : own[1];
                    packA(a, ic, mc, pc0, kc, pa);
                    double[] tile = new double[MR * DNR];
                    for (int jp = p0; jp < p1; jp++) {
                        int j0 = jc0 + jp * DNR;
                        for (int ip = 0; ip * MR < mc; ip++) {
                            int i0 = ic + ip * MR;
                            if (i0 + MR <= m && j0 + DNR <= n) {
                                kernel(kc, pa, ip * kc * MR, pb, jp * kc * DNR, c, cOff + i0 * ldc + j0, ldc);
                            } else {
                                Arrays.fill(tile, 0d);
                                kernel(kc, pa, ip * kc * MR, pb, jp * kc * DNR, tile, 0, DNR);
                                for (int r = 0; r < MR && i0 + r < m; r++) {
                                    int row = cOff + (i0 + r) * ldc + j0;
                                    for (int j = 0; j < DNR && j0 + j < n; j++) {
                                        c[row + j] += tile[r * DNR + j];
                                    }
                                }
                            }
                        }
                    }
                });
            }
        }
    }

    private static void packB(Operand b, int pc, int kc, int jc, int nc, double[] pb) {
        double[] x = (double[]) b.array();
        int np = panels(nc, DNR);
        for (int jp = 0; jp < np; jp++) {
            int j0 = jc + jp * DNR;
            int w = Math.min(DNR, jc + nc - j0);
            int base = jp * kc * DNR;
            int s1 = b.s1();
            for (int p = 0; p < kc; p++) {
                int src = b.off() + (pc + p) * b.s0() + j0 * s1;
                int dst = base + p * DNR;
                if (s1 == 1) {
                    System.arraycopy(x, src, pb, dst, w);
                } else {
                    for (int j = 0; j < w; j++) {
                        pb[dst + j] = x[src + j * s1];
                    }
                }
                if (w < DNR) {
                    Arrays.fill(pb, dst + w, dst + DNR, 0d);
                }
            }
        }
    }

    private static void packA(Operand a, int ic, int mc, int pc, int kc, double[] pa) {
        double[] x = (double[]) a.array();
        for (int ip = 0; ip * MR < mc; ip++) {
            int base = ip * kc * MR;
            if (a.s1() != 1 && ip * MR + MR <= mc) { // rows are strided (a transposed view): read down columns
                int src = a.off() + (ic + ip * MR) * a.s0() + pc * a.s1();
                for (int p = 0; p < kc; p++) {
                    for (int r = 0; r < MR; r++) {
                        pa[base + p * MR + r] = x[src + p * a.s1() + r * a.s0()];
                    }
                }
                continue;
            }
            for (int r = 0; r < MR; r++) {
                int dst = base + r;
                if (ip * MR + r < mc) {
                    int src = a.off() + (ic + ip * MR + r) * a.s0() + pc * a.s1();
                    for (int p = 0; p < kc; p++) {
                        pa[dst + p * MR] = x[src + p * a.s1()];
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        pa[dst + p * MR] = 0d;
                    }
                }
            }
        }
    }

    private static void kernel(int kc, double[] pa, int ao, double[] pb, int bo, double[] c, int co, int ldc) {
        DoubleVector c00 = DoubleVector.zero(DS);
        DoubleVector c01 = c00;
        DoubleVector c10 = c00;
        DoubleVector c11 = c00;
        DoubleVector c20 = c00;
        DoubleVector c21 = c00;
        DoubleVector c30 = c00;
        DoubleVector c31 = c00;
        DoubleVector c40 = c00;
        DoubleVector c41 = c00;
        DoubleVector c50 = c00;
        DoubleVector c51 = c00;
        for (int p = 0; p < kc; p++) {
            DoubleVector b0 = DoubleVector.fromArray(DS, pb, bo);
            DoubleVector b1 = DoubleVector.fromArray(DS, pb, bo + DL);
            DoubleVector x = DoubleVector.broadcast(DS, pa[ao]);
            c00 = b0.fma(x, c00);
            c01 = b1.fma(x, c01);
            x = DoubleVector.broadcast(DS, pa[ao + 1]);
            c10 = b0.fma(x, c10);
            c11 = b1.fma(x, c11);
            x = DoubleVector.broadcast(DS, pa[ao + 2]);
            c20 = b0.fma(x, c20);
            c21 = b1.fma(x, c21);
            x = DoubleVector.broadcast(DS, pa[ao + 3]);
            c30 = b0.fma(x, c30);
            c31 = b1.fma(x, c31);
            x = DoubleVector.broadcast(DS, pa[ao + 4]);
            c40 = b0.fma(x, c40);
            c41 = b1.fma(x, c41);
            x = DoubleVector.broadcast(DS, pa[ao + 5]);
            c50 = b0.fma(x, c50);
            c51 = b1.fma(x, c51);
            ao += MR;
            bo += DNR;
        }
        accumulate(c, co, c00, c01);
        accumulate(c, co + ldc, c10, c11);
        accumulate(c, co + 2 * ldc, c20, c21);
        accumulate(c, co + 3 * ldc, c30, c31);
        accumulate(c, co + 4 * ldc, c40, c41);
        accumulate(c, co + 5 * ldc, c50, c51);
    }

    private static void accumulate(double[] c, int o, DoubleVector v0, DoubleVector v1) {
        DoubleVector.fromArray(DS, c, o).add(v0).intoArray(c, o);
        DoubleVector.fromArray(DS, c, o + DL).add(v1).intoArray(c, o + DL);
    }
}
