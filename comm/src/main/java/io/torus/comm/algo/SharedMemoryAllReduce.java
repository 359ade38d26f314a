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
 *   1. publish  rank r copies its whole vector into its window piece by piece, in rounds: round
 *               j writes piece j of chunk 0, of chunk 1, ..., of chunk N - 1, each followed by
 *               WRITTEN = items written so far (so piece j of chunk c is covered by j N + c + 1),
 *               which lets every reducer start after the first round, not after the whole vector;
 *   2. reduce   rank r owns chunk r of ChunkPlan(S, N): for each piece of it, once every rank's
 *               WRITTEN covers the piece, it computes w_0 op w_1 op ... op w_{N-1} (left to right,
 *               rank order) into its own array, applies AVG's division, writes the result over
 *               its own window's chunk r (nobody else reads that part as input) and publishes
 *               REDUCED = bytes of chunk r done. Ranks 0 and 1 start from their own array, which
 *               still holds x_r (x_0 op x_1 equals x_1 op x_0 bit for bit), so they never write
 *               their own chunk in step 1 nor copy w_0 in: with 2 ranks, one pass fewer each;
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
 * The last window folded into a piece is folded in the same pass that applies AVG's division and
 * copies the result into this rank's window (Reductions.foldFinishWrite): for a 2-rank FLOAT32
 * gradient all-reduce that is one pass over the piece instead of three (fold, divide, copy). In
 * {@code torus bench ddp} (2 ranks, 0.94 MB of gradients, quiet machine, JIT warmed up) the time
 * from backward's last hook to averaged gradients fell from 0.54-0.61 ms (4 runs) to 0.35-0.49 ms
 * (5 runs).
 *
 * Pieces of PIECE_BYTES let reducing start while the vectors are still being written and keep
 * the piece being folded in cache.
 *
 * Measured (2 ranks, 1 MB float32 AVG back to back, 2-vCPU machine shared with other builds at a
 * load average of 7 to 15, so only side-by-side figures): p10 latency 225-275 us against the
 * ring's 300, p50 about the same (305-330 us against 316-354), but a worse tail (p90 3-4 ms
 * against 0.6-1.6 ms: the yields give the CPU away for whole time slices when others are
 * runnable) and about twice the process CPU per all-reduce (400-500 us against 240-260). Not a
 * clear win there. On the quiet machine (load average 1-3), in turn with the ring,
 * {@code torus bench ddp} (2 ranks, 0.94 MB of gradients) exposed 0.28-0.33 ms of communication
 * per step with the windows against 0.70-0.89 ms on the ring, DDP/1-process 0.93-1.03x against
 * 0.78-0.85x; back to back in {@code torus bench comm}, 4 MiB ran faster (2 ranks 3.47 against
 * 2.37 GB/s, 4 ranks 2.21 against 1.63) and 1 MiB slower (3 ranks 0.59 against 0.99). So the
 * windows are on by default, up to 4 MiB ({@code torus.comm.shm.window.bytes}, 0 = off).
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
            int rounds = (plan.maxLength() + piece - 1) / piece;
            long items = 0;
            for (int j = 0; j < rounds; j++) {
                for (int c = 0; c < n; c++) {
                    int k = Math.min(piece, plan.length(c) - j * piece);
                    if (k > 0 && (c != r || r > 1)) { // ranks 0 and 1 reduce their own chunk from their array
                        int i = plan.offset(c) + j * piece;
                        Elements.write(data, offset + i, k, mine.duplicate().position(i * size));
                    }
                    w.publish(WRITTEN, ++items);
                }
            }
            int start = plan.offset(r);
            int own = plan.length(r);
            for (int at = 0; at < own; at += piece) {
                int k = Math.min(piece, own - at);
                int i = start + at;
                long needed = (long) (at / piece) * n + r + 1;
                for (int q = 0; q < n; q++) {
                    w.await(q, WRITTEN, needed);
                }
                // Windows folded in, in order: first, 2, 3, ..., n - 1; the last one in the same pass as
                // AVG's division and the copy into this rank's window (Reductions.foldFinishWrite).
                // Ranks 0 and 1 start from data, which still holds x_r, and x_0 op x_1 is x_1 op x_0 bit
                // for bit (each op is commutative); the others start from a copy of w_0.
                int first = r <= 1 ? 1 - r : 1;
                int last = n > 2 ? n - 1 : first;
                if (r > 1) {
                    Elements.read(w.window(0).duplicate().position(i * size), data, offset + i, k);
                }
                if (first != last) {
                    fold.fold(data, offset + i, w.window(first), i * size, k);
                }
                for (int q = 2; q < last; q++) {
                    fold.fold(data, offset + i, w.window(q), i * size, k);
                }
                Reductions.foldFinishWrite(fold, op, n, data, offset + i, w.window(last), i * size, mine, i * size, k);
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
