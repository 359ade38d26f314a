package io.torus.tensor.backend.cuda;

import io.torus.tensor.NDArray;
import io.torus.tensor.Shape;

import java.util.ArrayList;
import java.util.List;

/**
 * Note [Layouts]
 * A kernel sees each operand as a base pointer (the start of its storage) and a Layout, the C
 * struct of torus_cuda.cuh passed by value as {@code int[18]}: {@code ndim, offset, shape[8],
 * stride[8]}, in elements. {@code at(layout, i)} turns the row-major index {@code i} of the
 * output into the operand's storage position; strides of 0 broadcast.
 *
 * <p>Elementwise ops get their layouts from {@link #elementwise}: dims of size 1 are dropped, and
 * neighbouring dims are merged wherever every operand's strides allow
 * ({@code stride[d] == stride[d + 1] * shape[d + 1]}), so contiguous operands become one dim and
 * the per-element division loop runs once. Ops that name a dim (reductions, gather, pooling) use
 * {@link #exact}, which keeps every dim. Either way at most 8 dims reach a kernel.
 */
final class Layouts {
    static final int MAX_DIMS = 8;
    static final int INTS = 2 + 2 * MAX_DIMS;

    private Layouts() {
    }

    /** Every dim as it is. */
    static int[] exact(int[] shape, int[] strides, int offset) {
        if (shape.length > MAX_DIMS) {
            throw new IllegalArgumentException("cuda: arrays of " + shape.length + " dims (shape " + Shape.str(shape)
                    + ") are not supported: expected at most " + MAX_DIMS);
        }
        int[] l = new int[INTS];
        l[0] = shape.length;
        l[1] = offset;
        for (int d = 0; d < shape.length; d++) {
            l[2 + d] = shape[d];
            l[2 + MAX_DIMS + d] = strides[d];
        }
        return l;
    }

    static int[] exact(NDArray a) {
        return exact(a.shape(), a.strides(), a.offset());
    }

    /** A 1-D layout of {@code n} contiguous elements from {@code offset}. */
    static int[] contiguous(int n, int offset) {
        return exact(new int[] {n}, new int[] {1}, offset);
    }

    /** Layouts of operands that share one shape, with size-1 dims dropped and mergeable dims merged (jointly). */
    static int[][] elementwise(NDArray... ops) {
        int[] shape = ops[0].shape();
        int[][] strides = new int[ops.length][];
        for (int k = 0; k < ops.length; k++) {
            strides[k] = ops[k].strides();
        }
        List<Integer> sizes = new ArrayList<>();
        List<int[]> merged = new ArrayList<>(); // per kept dim: the stride of each operand; built right to left
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] == 1) {
                continue;
            }
            int[] st = new int[ops.length];
            for (int k = 0; k < ops.length; k++) {
                st[k] = strides[k][d];
            }
            if (!sizes.isEmpty()) {
                int last = sizes.size() - 1;
                int[] inner = merged.get(last);
                boolean mergeable = true;
                for (int k = 0; k < ops.length && mergeable; k++) {
                    mergeable = (long) st[k] == (long) inner[k] * sizes.get(last);
                }
                if (mergeable) {
                    sizes.set(last, sizes.get(last) * shape[d]);
                    continue;
                }
            }
            sizes.add(shape[d]);
            merged.add(st);
        }
        int nd = sizes.size();
        int[] s = new int[nd];
        int[][] outStrides = new int[ops.length][nd];
        for (int j = 0; j < nd; j++) {
            s[nd - 1 - j] = sizes.get(j);
            for (int k = 0; k < ops.length; k++) {
                outStrides[k][nd - 1 - j] = merged.get(j)[k];
            }
        }
        int[][] layouts = new int[ops.length][];
        for (int k = 0; k < ops.length; k++) {
            layouts[k] = exact(s, outStrides[k], ops[k].offset());
        }
        return layouts;
    }

    /** The dims of {@code shape}/{@code strides} flagged (or not) in {@code pick}, as one layout. */
    static int[] select(int[] shape, int[] strides, int offset, boolean[] pick, boolean want) {
        int n = 0;
        for (boolean p : pick) {
            n += p == want ? 1 : 0;
        }
        int[] s = new int[n];
        int[] st = new int[n];
        for (int d = 0, j = 0; d < shape.length; d++) {
            if (pick[d] == want) {
                s[j] = shape[d];
                st[j++] = strides[d];
            }
        }
        return exact(s, st, offset);
    }
}
