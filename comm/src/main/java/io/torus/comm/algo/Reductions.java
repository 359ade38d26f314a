package io.torus.comm.algo;

import io.torus.comm.ReduceOp;

/** The element-wise arithmetic of each {@link ReduceOp}, on float slices. */
final class Reductions {
    private Reductions() {
    }

    /** {@code acc[i] = acc[i] (op) in[i]} for {@code n} elements. AVG accumulates as SUM (see {@link #finish}). */
    static void accumulate(ReduceOp op, float[] acc, int accOffset, float[] in, int inOffset, int n) {
        switch (op) {
            case SUM, AVG -> {
                for (int i = 0; i < n; i++) {
                    acc[accOffset + i] += in[inOffset + i];
                }
            }
            case MAX -> {
                for (int i = 0; i < n; i++) {
                    acc[accOffset + i] = Math.max(acc[accOffset + i], in[inOffset + i]);
                }
            }
            case MIN -> {
                for (int i = 0; i < n; i++) {
                    acc[accOffset + i] = Math.min(acc[accOffset + i], in[inOffset + i]);
                }
            }
        }
    }

    /** Completes a reduction of {@code worldSize} contributions: AVG divides the sum; the others do nothing. */
    static void finish(ReduceOp op, float[] data, int offset, int n, int worldSize) {
        if (op == ReduceOp.AVG && worldSize > 1) {
            for (int i = 0; i < n; i++) {
                data[offset + i] /= worldSize;
            }
        }
    }
}
