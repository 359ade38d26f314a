package io.torus.comm.algo;

import io.torus.comm.ReduceOp;
import io.torus.comm.transport.Elements;
import io.torus.comm.transport.Fold;
import io.torus.tensor.DType;
import io.torus.tensor.Storage;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/*
 * The element-wise arithmetic of each ReduceOp, on slices of element arrays (see Elements), with
 * PyTorch's semantics per dtype:
 *
 *   dtype            SUM                  AVG                              MAX / MIN
 *   FLOAT32/FLOAT64  +                    sum / N                          Math.max / min (NaN wins)
 *   INT64/INT32      + (wraps on overflow) sum / N, truncated toward zero   max / min
 *   BOOL             logical or           rejected (Collectives checks)    or / and
 *
 * AVG on integers: PyTorch's gloo backend has no AVG at all and NCCL's ncclAvg divides with C's
 * integer division; Torus does the same (truncation toward zero: -7 / 2 = -3), on the wrapped sum.
 * BOOL SUM is "any", as in NCCL, where bool travels as uint8 and a nonzero sum is true.
 */
final class Reductions {
    private Reductions() {
    }

    /** {@code acc[i] = acc[i] (op) in[i]} for {@code n} elements. AVG accumulates as SUM (see {@link #finish}). */
    static void accumulate(ReduceOp op, Object acc, int accOffset, Object in, int inOffset, int n) {
        switch (Elements.dtype(acc)) {
            case FLOAT32 -> floats(op, (float[]) acc, accOffset, (float[]) in, inOffset, n);
            case FLOAT64 -> doubles(op, (double[]) acc, accOffset, (double[]) in, inOffset, n);
            case INT64 -> longs(op, (long[]) acc, accOffset, (long[]) in, inOffset, n);
            case INT32 -> ints(op, (int[]) acc, accOffset, (int[]) in, inOffset, n);
            case BOOL -> bools(op, (boolean[]) acc, accOffset, (boolean[]) in, inOffset, n);
        }
    }

    /**
     * {@link #accumulate} as a {@link Fold}, for {@link io.torus.comm.transport.Transport#receiveReduce}.
     * Not thread-safe (it keeps a small staging array): one per collective call.
     */
    static Fold fold(ReduceOp op) {
        return new OpFold(op);
    }

    /**
     * Folding from a buffer: FLOAT32 and FLOAT64 SUM / AVG, the hot path of every all-reduce, load
     * lanes straight from the buffer (VectorSums); everything else copies blocks of STAGE elements
     * into a small array (it stays in L1) and runs the very same {@link #accumulate} on them, so
     * the arithmetic is that of the array path by construction.
     */
    private static final class OpFold implements Fold {
        private static final int STAGE = 2048;
        private final ReduceOp op;
        private Object stage;
        private Object stageAcc;

        OpFold(ReduceOp op) {
            this.op = op;
        }

        @Override
        public void fold(Object acc, int accOffset, Object in, int inOffset, int n) {
            accumulate(op, acc, accOffset, in, inOffset, n);
        }

        @Override
        public void fold(Object acc, int accOffset, ByteBuffer in, int at, int n) {
            DType dtype = Elements.dtype(acc);
            ByteBuffer le = littleEndian(in);
            if (VectorSums.ENABLED && (op == ReduceOp.SUM || op == ReduceOp.AVG)) {
                if (dtype == DType.FLOAT32) {
                    VectorSums.add((float[]) acc, accOffset, le, at, n);
                    return;
                } else if (dtype == DType.FLOAT64) {
                    VectorSums.add((double[]) acc, accOffset, le, at, n);
                    return;
                }
            }
            stage = stage(stage, dtype);
            int size = Elements.byteSize(dtype);
            for (int done = 0; done < n; ) {
                int k = Math.min(STAGE, n - done);
                Elements.read(le.duplicate().position(at + done * size), stage, 0, k);
                accumulate(op, acc, accOffset + done, stage, 0, k);
                done += k;
            }
        }

        @Override
        public void foldTo(Object acc, int accOffset, ByteBuffer in, int inAt, ByteBuffer out, int outAt, int n) {
            DType dtype = Elements.dtype(acc);
            ByteBuffer le = littleEndian(in);
            ByteBuffer leOut = littleEndian(out);
            if (VectorSums.ENABLED && (op == ReduceOp.SUM || op == ReduceOp.AVG)) {
                if (dtype == DType.FLOAT32) {
                    VectorSums.add((float[]) acc, accOffset, le, inAt, leOut, outAt, n);
                    return;
                } else if (dtype == DType.FLOAT64) {
                    VectorSums.add((double[]) acc, accOffset, le, inAt, leOut, outAt, n);
                    return;
                }
            }
            stage = stage(stage, dtype);
            stageAcc = stage(stageAcc, dtype);
            int size = Elements.byteSize(dtype);
            for (int done = 0; done < n; ) {
                int k = Math.min(STAGE, n - done);
                System.arraycopy(acc, accOffset + done, stageAcc, 0, k);
                Elements.read(le.duplicate().position(inAt + done * size), stage, 0, k);
                accumulate(op, stageAcc, 0, stage, 0, k);
                Elements.write(stageAcc, 0, k, leOut.duplicate().position(outAt + done * size));
                done += k;
            }
        }

        /** {@code current} if it is a staging array of {@code dtype}, else a new one. */
        private static Object stage(Object current, DType dtype) {
            return current != null && Elements.dtype(current) == dtype ? current : Storage.newArray(dtype, STAGE);
        }
    }

    /** Completes a reduction of {@code worldSize} contributions: AVG divides the sum; the others do nothing. */
    /**
     * A chunk's last fold ({@code fold}, made by {@link #fold} for {@code op}), its {@link #finish}
     * and its publication in one pass:
     * {@code data[offset + i] = data[offset + i] (op) in[i]}, finished, then written to {@code out}
     * ({@code in} and {@code out} little-endian at bytes {@code inAt} and {@code outAt}, both
     * buffers' positions left as they are). Each element gets the same operations as {@code fold},
     * {@code finish} and {@link Elements#write} one after the other, so the same bits; FLOAT32 SUM
     * and AVG (a gradient all-reduce) make one pass over the piece instead of three.
     */
    static void foldFinishWrite(Fold fold, ReduceOp op, int worldSize, Object data, int offset, ByteBuffer in, int inAt,
                                ByteBuffer out, int outAt, int n) {
        if (data instanceof float[] f && (op == ReduceOp.SUM || op == ReduceOp.AVG) && VectorSums.ENABLED) {
            VectorSums.addDivideCopy(f, offset, littleEndian(in), inAt, op == ReduceOp.AVG ? worldSize : 1,
                    littleEndian(out), outAt, n);
            return;
        }
        fold.fold(data, offset, in, inAt, n);
        finish(op, data, offset, n, worldSize);
        Elements.write(data, offset, n, out.duplicate().position(outAt));
    }

    /** The buffer's bytes in little-endian order (the wire's): itself, or a view. */
    private static ByteBuffer littleEndian(ByteBuffer b) {
        return b.order() == ByteOrder.LITTLE_ENDIAN ? b : b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    static void finish(ReduceOp op, Object data, int offset, int n, int worldSize) {
        if (op != ReduceOp.AVG || worldSize == 1) {
            return;
        }
        switch (Elements.dtype(data)) {
            case FLOAT32 -> {
                float[] a = (float[]) data;
                for (int i = offset; i < offset + n; i++) {
                    a[i] /= worldSize;
                }
            }
            case FLOAT64 -> {
                double[] a = (double[]) data;
                for (int i = offset; i < offset + n; i++) {
                    a[i] /= worldSize;
                }
            }
            case INT64 -> {
                long[] a = (long[]) data;
                for (int i = offset; i < offset + n; i++) {
                    a[i] /= worldSize;
                }
            }
            case INT32 -> {
                int[] a = (int[]) data;
                for (int i = offset; i < offset + n; i++) {
                    a[i] /= worldSize;
                }
            }
            case BOOL -> throw new IllegalArgumentException("AVG is not defined for BOOL");
        }
    }

    private static void floats(ReduceOp op, float[] acc, int a, float[] in, int b, int n) {
        switch (op) {
            case SUM, AVG -> {
                if (VectorSums.ENABLED) {
                    VectorSums.add(acc, a, in, b, n);
                    return;
                }
                for (int i = 0; i < n; i++) {
                    acc[a + i] += in[b + i];
                }
            }
            case MAX -> {
                for (int i = 0; i < n; i++) {
                    acc[a + i] = Math.max(acc[a + i], in[b + i]);
                }
            }
            case MIN -> {
                for (int i = 0; i < n; i++) {
                    acc[a + i] = Math.min(acc[a + i], in[b + i]);
                }
            }
        }
    }

    private static void doubles(ReduceOp op, double[] acc, int a, double[] in, int b, int n) {
        switch (op) {
            case SUM, AVG -> {
                if (VectorSums.ENABLED) {
                    VectorSums.add(acc, a, in, b, n);
                    return;
                }
                for (int i = 0; i < n; i++) {
                    acc[a + i] += in[b + i];
                }
            }
            case MAX -> {
                for (int i = 0; i < n; i++) {
                    acc[a + i] = Math.max(acc[a + i], in[b + i]);
                }
            }
            case MIN -> {
                for (int i = 0; i < n; i++) {
                    acc[a + i] = Math.min(acc[a + i], in[b + i]);
                }
            }
        }
    }

    private static void longs(ReduceOp op, long[] acc, int a, long[] in, int b, int n) {
        switch (op) {
            case SUM, AVG -> {
                for (int i = 0; i < n; i++) {
                    acc[a + i] += in[b + i];
                }
            }
            case MAX -> {
                for (int i = 0; i < n; i++) {
                    acc[a + i] = Math.max(acc[a + i], in[b + i]);
                }
            }
            case MIN -> {
                for (int i = 0; i < n; i++) {
                    acc[a + i] = Math.min(acc[a + i], in[b + i]);
                }
            }
        }
    }

    private static void ints(ReduceOp op, int[] acc, int a, int[] in, int b, int n) {
        switch (op) {
            case SUM, AVG -> {
                for (int i = 0; i < n; i++) {
                    acc[a + i] += in[b + i];
                }
            }
            case MAX -> {
                for (int i = 0; i < n; i++) {
                    acc[a + i] = Math.max(acc[a + i], in[b + i]);
                }
            }
            case MIN -> {
                for (int i = 0; i < n; i++) {
                    acc[a + i] = Math.min(acc[a + i], in[b + i]);
                }
            }
        }
    }

    private static void bools(ReduceOp op, boolean[] acc, int a, boolean[] in, int b, int n) {
        switch (op) {
            case SUM, MAX -> {
                for (int i = 0; i < n; i++) {
                    acc[a + i] |= in[b + i];
                }
            }
            case MIN -> {
                for (int i = 0; i < n; i++) {
                    acc[a + i] &= in[b + i];
                }
            }
            case AVG -> throw new IllegalArgumentException("AVG is not defined for BOOL");
        }
    }
}
