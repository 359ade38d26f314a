package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.NDArray;

/**
 * The CPU's where, masked_select and masked_scatter. These ops pick elements rather than compute
 * them, so one generic loop serves every dtype: elements move with {@code System.arraycopy} of
 * length one, which works on any primitive array and is exact (no detour through double).
 * FLOAT32 where, the one that sits in training loops, gets a tight loop of its own.
 *
 * <p>The walk visits any number of arrays of one shape in row-major order and hands the kernel
 * one innermost row at a time: its length and each array's starting offset and stride.
 */
final class SelectionKernels {
    private SelectionKernels() {
    }

    interface Row {
        /** {@code offsets} and {@code strides} hold one entry per array; the kernel must not modify them. */
        void run(int n, int[] offsets, int[] strides);
    }

    /** Visits the rows of arrays that all have the shape of the first one. */
    static void forEachRow(NDArray[] arrays, Row row) {
        int[] shape = arrays[0].shape();
        long numel = arrays[0].numel();
        if (numel == 0) {
            return;
        }
        int k = arrays.length;
        int rank = shape.length;
        int[] off = new int[k];
        int[] inner = new int[k];
        int[][] st = new int[k][];
        for (int j = 0; j < k; j++) {
            off[j] = arrays[j].offset();
            st[j] = arrays[j].strides();
            inner[j] = rank == 0 ? 0 : st[j][rank - 1];
        }
        int n = rank == 0 ? 1 : shape[rank - 1];
        int[] idx = new int[Math.max(rank, 1)];
        for (long o = 0, outer = numel / n; o < outer; o++) {
            row.run(n, off, inner);
            for (int d = rank - 2; d >= 0; d--) {
                idx[d]++;
                for (int j = 0; j < k; j++) {
                    off[j] += st[j][d];
                }
                if (idx[d] < shape[d]) {
                    break;
                }
                for (int j = 0; j < k; j++) {
                    off[j] -= st[j][d] * shape[d];
                }
                idx[d] = 0;
            }
        }
    }

    static void where(NDArray cond, NDArray a, NDArray b, NDArray out) {
        boolean[] c = cond.storage().bools();
        Object x = a.storage().array();
        Object y = b.storage().array();
        Object z = out.storage().array();
        NDArray[] arrays = {cond, a, b, out};
        if (out.dtype() == DType.FLOAT32) {
            float[] xf = (float[]) x;
            float[] yf = (float[]) y;
            float[] zf = (float[]) z;
            forEachRow(arrays, (n, o, s) -> {
                for (int i = 0; i < n; i++) {
                    zf[o[3] + i * s[3]] = c[o[0] + i * s[0]] ? xf[o[1] + i * s[1]] : yf[o[2] + i * s[2]];
                }
            });
            return;
        }
        forEachRow(arrays, (n, o, s) -> {
            for (int i = 0; i < n; i++) {
                boolean pick = c[o[0] + i * s[0]];
                System.arraycopy(pick ? x : y, pick ? o[1] + i * s[1] : o[2] + i * s[2], z, o[3] + i * s[3], 1);
            }
        });
    }

    static void maskedSelect(NDArray x, NDArray mask, NDArray out) {
        boolean[] m = mask.storage().bools();
        Object src = x.storage().array();
        Object dst = out.storage().array();
        int[] next = {out.offset()};
        forEachRow(new NDArray[] {x, mask}, (n, o, s) -> {
            for (int i = 0; i < n; i++) {
                if (m[o[1] + i * s[1]]) {
                    System.arraycopy(src, o[0] + i * s[0], dst, next[0]++, 1);
                }
            }
        });
    }

    static void maskedScatter(NDArray out, NDArray mask, NDArray src) {
        boolean[] m = mask.storage().bools();
        Object from = src.storage().array();
        Object dst = out.storage().array();
        int[] next = {src.offset()};
        forEachRow(new NDArray[] {out, mask}, (n, o, s) -> {
            for (int i = 0; i < n; i++) {
                if (m[o[1] + i * s[1]]) {
                    System.arraycopy(from, next[0]++, dst, o[0] + i * s[0], 1);
                }
            }
        });
    }
}
