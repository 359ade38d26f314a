package io.torus.tensor.backend.cpu;

import io.torus.tensor.NDArray;

/**
 * Walks up to three arrays of one shape in row-major order, handing the innermost dimension to
 * a kernel as (count, offset, stride) triples so that the kernel's loop is tight. Dimensions that
 * are laid out back to back in every operand are merged first, so contiguous arrays of any rank
 * arrive as a single row.
 */
final class StridedLoop {
    private StridedLoop() {
    }

    interface Row2 {
        void run(int n, int oa, int sa, int ob, int sb);
    }

    interface Row3 {
        void run(int n, int oa, int sa, int ob, int sb, int oc, int sc);
    }

    static void forEach(NDArray a, NDArray b, Row2 row) {
        forEach(a, b, b, (n, oa, sa, ob, sb, oc, sc) -> row.run(n, oa, sa, ob, sb));
    }

    static void forEach(NDArray a, NDArray b, NDArray c, Row3 row) {
        int[] shape = a.shape();
        if (a.numel() == 0) {
            return;
        }
        int[][] st = {a.strides(), b.strides(), c.strides()};
        // merge dimension i into i+1 when every operand steps over it as one block
        int r = 0;
        int[] sh = new int[Math.max(shape.length, 1)];
        int[][] ms = new int[3][sh.length];
        if (shape.length == 0) {
            sh[0] = 1;
            r = 1;
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 1) {
                continue;
            }
            boolean merge = r > 0;
            for (int k = 0; k < 3 && merge; k++) {
                merge = ms[k][r - 1] == st[k][i] * shape[i];
            }
            if (merge) {
                sh[r - 1] *= shape[i];
                for (int k = 0; k < 3; k++) {
                    ms[k][r - 1] = st[k][i];
                }
            } else {
                sh[r] = shape[i];
                for (int k = 0; k < 3; k++) {
                    ms[k][r] = st[k][i];
                }
                r++;
            }
        }
        if (r == 0) {
            sh[0] = 1;
            r = 1;
        }
        int inner = sh[r - 1];
        int sa = ms[0][r - 1];
        int sb = ms[1][r - 1];
        int sc = ms[2][r - 1];
        int oa = a.offset();
        int ob = b.offset();
        int oc = c.offset();
        int[] idx = new int[r];
        long outer = a.numel() / inner;
        for (long o = 0; o < outer; o++) {
            row.run(inner, oa, sa, ob, sb, oc, sc);
            for (int d = r - 2; d >= 0; d--) {
                idx[d]++;
                oa += ms[0][d];
                ob += ms[1][d];
                oc += ms[2][d];
                if (idx[d] < sh[d]) {
                    break;
                }
                oa -= ms[0][d] * sh[d];
                ob -= ms[1][d] * sh[d];
                oc -= ms[2][d] * sh[d];
                idx[d] = 0;
            }
        }
    }

    /** Storage offsets of the start of every line along {@code dim}, in row-major order of the other dims. */
    static int[] lineStarts(NDArray a, int dim) {
        int[] shape = a.shape();
        int[] strides = a.strides();
        int lines = 1;
        for (int i = 0; i < shape.length; i++) {
            if (i != dim) {
                lines *= shape[i];
            }
        }
        int[] starts = new int[lines];
        int[] idx = new int[shape.length];
        int off = a.offset();
        for (int l = 0; l < lines; l++) {
            starts[l] = off;
            for (int d = shape.length - 1; d >= 0; d--) {
                if (d == dim) {
                    continue;
                }
                idx[d]++;
                off += strides[d];
                if (idx[d] < shape[d]) {
                    break;
                }
                off -= strides[d] * shape[d];
                idx[d] = 0;
            }
        }
        return starts;
    }
}
