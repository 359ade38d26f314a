package io.torus.comm.algo;

import io.torus.comm.ReduceOp;
import io.torus.comm.transport.Elements;
import io.torus.comm.transport.Fold;
import io.torus.comm.transport.SharedWindows;
import io.torus.comm.transport.Tag;
import io.torus.comm.transport.Transport;
import io.torus.tensor.DType;

import java.nio.ByteBuffer;

import static io.torus.comm.transport.SharedWindows.REDUCED;
import static io.torus.comm.transport.SharedWindows.WRITTEN;

/*
 * All-reduce on shared windows (SharedWindows: every rank maps every other rank's window), for
 * vectors of up to a few MiB when the ranks share one machine. The ring's reduce-scatter and
 * all-gather without the ring: nobody forwards anything, every rank reads what it needs where it
 * was written.
 *
 *   1. publish  rank r copies its whole vector into its window, piece by piece, and after each
 *               piece publishes WRITTEN = bytes so far;
 *   2. reduce   rank r owns chunk r of ChunkPlan(S, N): for each piece of it, once every rank's
 *               WRITTEN covers the piece, it computes w_0 op w_1 op ... op w_{N-1} (left to right,
 *               rank order) into its own array, applies AVG's division, writes the result over
 *               its own window's chunk r (nobody else reads that part as input) and publishes
 *               REDUCED = bytes of chunk r done;
 *   3. gather   for every other chunk c, piece by piece once rank c's REDUCED covers it, rank r
 *               copies it from rank c's window into its array.
 *
 *   rank 0:  [x0 | x0']  --reduce chunk 0 from both windows-->  [s0 | x0']
 *   rank 1:  [x1 | x1']  --reduce chunk 1 from both windows-->  [x1 | s1]
 *            then rank 0 copies s1 from rank 1's window, rank 1 copies s0 from rank 0's.
 *
 * Against the ring (RingAllReduce): no chain of 2 (N - 1) waits on a neighbour, each a possible
 * wake-up; every rank works at once and waits only for data that is being written at that moment.
 * Per rank: S bytes written, S read and S/N written to reduce its chunk, S/N written back,
 * (N - 1)/N S read to gather, about the ring's memory traffic, so with more ranks than cores (where
 * total CPU sets the pace) it costs what the ring costs, and with a core per rank much less time.
 *
 * Determinism: chunk c is reduced exactly once, by rank c, always in rank order, and everyone
 * else copies that result, so every rank ends with the same bits in every run; AVG divides each
 * element once, before it is published, as the ring does.
 *
 * Pieces of PIECE_BYTES let reducing start while the vectors are still being written and keep
 * the piece being folded in cache; the counters are bytes, so a piece is just a range.
 */
final class SharedMemoryAllReduce {
    /** Publication and reduction unit. */
    static final int PIECE_BYTES = 64 << 10;

    private SharedMemoryAllReduce() {
    }

    /** Whether {@code length} elements of {@code dtype} fit the windows of {@code w}. */
    static boolean fits(SharedWindows w, DType dtype, int length) {
        return w != null && (long) length * Elements.byteSize(dtype) <= w.windowBytes();
    }

    /** Reduces {@code data[offset, offset + length)} across all ranks, in place (see {@link #fits}). */
    static void run(Transport transport, SharedWindows w, long seq, Object data, int offset, int length, ReduceOp op) {
        int r = transport.rank();
        int n = transport.worldSize();
        DType dtype = Elements.dtype(data);
        int size = Elements.byteSize(dtype);
        int piece = PIECE_BYTES / size;
        ChunkPlan plan = new ChunkPlan(length, n);
        Fold fold = Reductions.fold(op);
        w.begin(new Tag(seq, 0), dtype, length);
        try {
            ByteBuffer mine = w.window(r);
            for (int at = 0; at < length; at += piece) {
                int k = Math.min(piece, length - at);
                Elements.write(data, offset + at, k, mine.duplicate().position(at * size));
                w.publish(WRITTEN, (long) (at + k) * size);
            }
            int start = plan.offset(r);
            int own = plan.length(r);
            for (int at = 0; at < own; at += piece) {
                int k = Math.min(piece, own - at);
                int i = start + at;
                long needed = (long) (i + k) * size;
                for (int q = 0; q < n; q++) {
                    w.await(q, WRITTEN, needed);
                }
                Elements.read(w.window(0).duplicate().position(i * size), data, offset + i, k);
                for (int q = 1; q < n; q++) {
                    fold.fold(data, offset + i, w.window(q), i * size, k);
                }
                Reductions.finish(op, data, offset + i, k, n);
                Elements.write(data, offset + i, k, mine.duplicate().position(i * size));
                w.publish(REDUCED, (long) (at + k) * size);
            }
            for (int s = 1; s < n; s++) {
                int c = (r + s) % n;
                int from = plan.offset(c);
                int len = plan.length(c);
                for (int at = 0; at < len; at += piece) {
                    int k = Math.min(piece, len - at);
                    w.await(c, REDUCED, (long) (at + k) * size);
                    Elements.read(w.window(c).duplicate().position((from + at) * size), data, offset + from + at, k);
                }
            }
        } finally {
            w.end();
        }
    }
}
