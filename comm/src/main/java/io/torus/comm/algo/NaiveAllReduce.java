package io.torus.comm.algo;

import io.torus.comm.ReduceOp;
import io.torus.comm.transport.Transport;

/*
 * All-reduce for tiny vectors: every rank's whole vector goes round the ring (an all-gather of N
 * vectors), then every rank reduces the N copies itself, in rank order 0, 1, ..., N - 1.
 *
 * Against the ring (RingAllReduce): N - 1 message latencies instead of 2 (N - 1), for (N - 1) S
 * elements sent per rank instead of 2 (N - 1)/N S. Below about a thousand elements latency is
 * all that counts, so this wins there; and it never cuts a vector into chunks smaller than one
 * element. Every rank reduces the same numbers in the same order, so results are bit-identical.
 */
final class NaiveAllReduce {
    private NaiveAllReduce() {
    }

    /**
     * Reduces {@code data[offset, offset + length)} across all ranks, in place.
     *
     * @param scratch at least {@code worldSize * length} elements of data's type, overwritten
     */
    static void run(Transport transport, long seq, Object data, int offset, int length, ReduceOp op, Object scratch) {
        int n = transport.worldSize();
        System.arraycopy(data, offset, scratch, transport.rank() * length, length);
        RingAllGather.inPlace(transport, seq, scratch, 0, length);
        System.arraycopy(scratch, 0, data, offset, length);
        for (int r = 1; r < n; r++) {
            Reductions.accumulate(op, data, offset, scratch, r * length, length);
        }
        Reductions.finish(op, data, offset, length, n);
    }
}
