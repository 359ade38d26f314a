package io.torus.tensor.backend.cpu;

import io.torus.tensor.DType;
import io.torus.tensor.NDArray;

/**
 * The CPU's gather, where, masked_select and masked_scatter. These ops pick elements rather than compute
 * them, so one generic loop serves every dtype: elements move with {@code System.arraycopy} of
 * length one, which works on any primitive array and is exact (no detour through double).
 * FLOAT32 gather and where, the ones that sit in training loops, get tight loops of their own.
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

    /**
     * PyTorch's gather: {@code out[c] = x[c with c[dim] replaced by index[c]]}. Walks index and out
     * together with a view of x whose stride along {@code dim} is zero (so its offset is that of
     * coordinate 0 there) and adds {@code index * stride}; every dtype is moved exactly.
     */
    static void gather(NDArray x, int dim, NDArray index, NDArray out) {
        int[] xStrides = x.strides();
        int along = x.dim() == 0 ? 0 : xStrides[dim];
        int size = x.dim() == 0 ? 1 : x.shape()[dim];
        if (x.dim() > 0) {
            xStrides[dim] = 0;
        }
        NDArray base = new NDArray(x.storage(), index.shape(), xStrides, x.offset());
        Object src = x.storage().array();
        Object dst = out.storage().array();
        long[] il = index.dtype() == DType.INT64 ? index.storage().longs() : null;
        int[] ii = il == null ? index.storage().ints() : null;
        boolean float32 = x.dtype() == DType.FLOAT32;
        forEachRow(new NDArray[] {index, out, base}, (n, o, s) -> {
            if (s[0] == 0 && s[1] == 1 && s[2] == 1) {
                // one index for the whole row (index_select of rows: a batch): one block copy
                long idx = il != null ? il[o[0]] : ii[o[0]];
                if (idx < 0 || idx >= size) {
                    throw new IllegalArgumentException("gather: index " + idx + " is out of bounds for dimension " + dim
                            + " with size " + size);
                }
                System.arraycopy(src, o[2] + (int) idx * along, dst, o[1], n);
                return;
            }
            for (int i = 0; i < n; i++) {
                int at = o[0] + i * s[0];
                long idx = il != null ? il[at] : ii[at];
                if (idx < 0 || idx >= size) {
                    throw new IllegalArgumentException("gather: index " + idx + " is out of bounds for dimension " + dim
                            + " with size " + size);
                }
                int from = o[2] + i * s[2] + (int) idx * along;
                if (float32) {
                    ((float[]) dst)[o[1] + i * s[1]] = ((float[]) src)[from];
                } else {
                    System.arraycopy(src, from, dst, o[1] + i * s[1], 1);
                }
            }
        });
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
