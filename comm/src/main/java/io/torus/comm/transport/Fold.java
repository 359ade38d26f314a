package io.torus.comm.transport;

import java.nio.ByteBuffer;

/**
 * Folds received elements into an accumulator, element by element ({@code acc[i] = acc[i] (op) in[i]}),
 * for {@link Transport#receiveReduce}. The collective supplies it ({@code io.torus.comm.algo} owns
 * the arithmetic of every {@code ReduceOp}), so a transport folds without knowing the operation.
 *
 * <p>Both methods must do the same arithmetic on each element, so that results are bit-identical
 * whichever of them a transport calls, and however it cuts a message into pieces (the operation is
 * element-wise: each element is combined exactly once, with the same two operands).
 */
public interface Fold {
    /** {@code acc[accOffset + i] = acc[accOffset + i] (op) in[inOffset + i]} for {@code i < n}; both arrays of one dtype. */
    void fold(Object acc, int accOffset, Object in, int inOffset, int n);

    /**
     * The same, with the {@code n} incoming elements read little-endian (the wire order of
     * {@link Elements}) from {@code in} at byte index {@code at}, whatever the buffer's own order;
     * {@code in}'s position and limit are left as they are.
     */
    void fold(Object acc, int accOffset, ByteBuffer in, int at, int n);

    /**
     * The same arithmetic with the result written elsewhere: {@code out[i] = acc[accOffset + i]
     * (op) in[i]} for {@code i < n}, {@code in} read at byte {@code inAt} and {@code out} written at
     * byte {@code outAt}, both little-endian whatever the buffers' own order; {@code acc} and both
     * buffers' positions and limits are left as they are. For {@link Transport#receiveReduceSend}:
     * the sum goes straight into the message to the next rank.
     */
    void foldTo(Object acc, int accOffset, ByteBuffer in, int inAt, ByteBuffer out, int outAt, int n);
}
