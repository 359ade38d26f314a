package io.torus.comm.algo;

import io.torus.comm.ReduceOp;
import io.torus.comm.transport.Elements;
import io.torus.comm.transport.Fold;
import io.torus.comm.transport.Tag;
import io.torus.comm.transport.Transport;

/*
 * Ring all-reduce: reduce-scatter, then all-gather. (Patarasuk & Yuan, "Bandwidth optimal
 * all-reduce algorithms for clusters of workstations", 2009; Baidu's baidu-allreduce, 2017;
 * gloo's allreduce_ring.)
 *
 * The N ranks sit on a ring; each sends only to its right neighbour and receives only from its
 * left. The vector of S elements is cut into N chunks by a ChunkPlan. With N = 4, chunks a b c d,
 * and x_r meaning chunk x as rank r holds it:
 *
 * Phase 1, reduce-scatter, N - 1 steps. At step s rank r sends chunk (r - s) and folds the chunk
 * (r - s - 1) arriving from its left into its own copy.
 *
 *             rank 0         rank 1         rank 2         rank 3
 *   start     a0 b0 c0 d0    a1 b1 c1 d1    a2 b2 c2 d2    a3 b3 c3 d3
 *   step 0    send a0        send b1        send c2        send d3      (each to its right)
 *             d := d0+d3     a := a0+a1     b := b1+b2     c := c2+c3
 *   step 1    send d03       send a01       send b12       send c23
 *             c := c023      d := d013      a := a012      b := b123
 *   step 2    send c023      send d013      send a012      send b123
 *             b := b0123     c := c0123     d := d0123     a := a0123
 *
 * Rank r now owns chunk (r + 1), fully reduced: rank 0 has b, rank 1 c, rank 2 d, rank 3 a.
 *
 * Phase 2, all-gather, N - 1 steps. At step s rank r sends chunk (r + 1 - s), the one it owns or
 * has just received, and stores the chunk (r - s) arriving from its left. After step 2 every rank
 * holds a0123 b0123 c0123 d0123.
 *
 * Cost: per phase every rank sends N - 1 messages of S/N elements, so 2 (N - 1)/N S elements in
 * all: nearly 2 S however large the ring, with every link busy at every step. That is bandwidth
 * optimal; the price is 2 (N - 1) message latencies, which is why tiny vectors take
 * NaiveAllReduce instead.
 *
 * Determinism: each chunk is reduced exactly once, always in the same order (starting at the rank
 * with its index and going round), and phase 2 only copies the result. Every rank therefore ends
 * with bit-identical values, whatever the floating-point rounding. AVG divides each owned chunk
 * once, before phase 2, for the same reason.
 *
 * Pipelining. Done literally, each step is "send a chunk, receive a whole chunk, reduce it", and
 * a rank's link idles while it reduces, its CPU while it waits. So every chunk is cut into the
 * same number P of pieces (at most pieceBytes(N) each; ChunkPlan again), and the ring runs piece by
 * piece: piece j of every chunk goes through all 2 (N - 1) steps of both phases, and several
 * piece indices are in flight at once, each at a different step (NCCL's schedule, not gloo's
 * chunk-at-a-time one). Per piece j a rank does these operations, k = 0 .. 2N - 2:
 *
 *   k = 0              send piece j of its own chunk (phase 1, step 0's outgoing)
 *   k = 1 .. N - 1     receive piece j of step k - 1 from the left and fold it in; send the sum
 *                      on to the right (for k = N - 1, the owned chunk: finish it, AVG divides,
 *                      and send it as phase 2's first piece)
 *   k = N .. 2N - 2    receive piece j of all-gather step k - N and store it; forward it unless
 *                      it is the last step
 *
 * and operation k of piece j runs in "tick" j + k, the ticks' operations in descending k:
 *
 *   tick 0: op0(p0)   tick 1: op1(p0) op0(p1)   tick 2: op2(p0) op1(p1) op0(p2)   ...
 *
 * Operation k receives what the left neighbour sent in its operation k - 1 of the same piece,
 * i.e. in the left's previous tick, in the very order the left sent it, so neighbours may drift
 * a whole tick (2N - 2 pieces) apart before either has to wait, and nothing is queued
 * inside the algorithm: every send is issued at once. The point is the memory traffic: a folded
 * or received piece is sent on straight away, while it is still in this core's cache, instead of
 * after a whole chunk of other pieces (the earlier chunk-major schedule re-read every forwarded
 * piece from DRAM: with 3-4 ranks sharing 2 cores the bytes moved per all-reduce are what set
 * its speed). The chunks, and so the arithmetic and its order, are those of the two-phase
 * picture above: results stay bit-identical. A reduce-scatter receive is a
 * Transport.receiveReduce: most transports receive into the scratch array and fold from there;
 * the shared-memory one folds straight out of its mapped ring (one pass over the piece fewer),
 * with the same element-wise arithmetic (Reductions.fold). In the steps before the last, where
 * the partial sum only travels on, it is a Transport.receiveReduceSend: the shared-memory
 * transport writes "data + incoming" straight into the ring to the right, so the piece is read
 * once from each side and written once, and this rank's copy of the partial sum (which it never
 * reads again: phase 2 overwrites it) is not written at all.
 *
 * Buffering: a link holds what the left has sent and this rank not yet received. A rank can
 * finish tick t only once its left has finished t - 1, that one's left t - 2, and so on round the
 * ring, so it is at most N ticks, N 2 (N - 1) pieces, ahead of what its right neighbour has
 * received. The piece size is chosen so that this stays within IN_FLIGHT_BYTES (6 MiB: 512 KiB
 * pieces up to 3 ranks, 256 KiB for 4, 64 KiB at least): the shared-memory transport's 8 MiB
 * ring then always has room for it, so a send that finds the ring full merely waits for a rank
 * that is behind, and never spills its data to the heap (see ShmTransport), and a TCP receiver
 * queues at most that much.
 *
 * Message tags: piece j of chunk c is id c * P + j in phase 1 and (N + c) * P + j in phase 2,
 * the same on every rank.
 *
 * Reduce-scatter alone (ProcessGroup.reduceScatter) is phase 1 shifted by one chunk: rank r
 * starts by sending chunk (r - 1), so that it ends owning chunk r, which is what the caller wants
 * from rank r. Same messages, same cost (N - 1)/N S, same determinism.
 */
final class RingAllReduce {
    private static final int REDUCE_SCATTER = 0;
    private static final int ALL_GATHER = 1;
    /** The pipeline's unit: chunks travel in pieces of at most about this many bytes (see the pipelining note). */
    static final int PIECE_BYTES = 1 << 19;
    /** Smallest piece, however many ranks. */
    static final int MIN_PIECE_BYTES = 1 << 16;
    /** What one rank may have sent that its right neighbour has not received yet, at most (see the buffering note). */
    static final int IN_FLIGHT_BYTES = 6 << 20;

    private final Transport transport;
    private final Ring ring;
    private final long seq;
    private final Object data;
    private final int offset;
    private final ChunkPlan plan;
    private final ReduceOp op;
    private final Object scratch;
    private final Fold fold;
    /** 0: rank r ends phase 1 owning chunk r + 1 (all-reduce); 1: owning chunk r (reduce-scatter). */
    private final int shift;
    /** Pieces per chunk, P: the same for every chunk and every rank. */
    private final int pieces;

    private RingAllReduce(Transport transport, long seq, Object data, int offset, int length, ReduceOp op,
                          Object scratch, int shift) {
        this.transport = transport;
        this.ring = Ring.of(transport);
        this.seq = seq;
        this.data = data;
        this.offset = offset;
        this.plan = new ChunkPlan(length, ring.size());
        this.op = op;
        this.scratch = scratch;
        this.fold = Reductions.fold(op);
        this.shift = shift;
        int pieceElements = Math.max(1, pieceBytes(ring.size()) / Elements.byteSize(Elements.dtype(data)));
        this.pieces = ChunkPlan.ofMaxLength(plan.maxLength(), pieceElements).parts();
    }

    /**
     * Reduces {@code data[offset, offset + length)} across all ranks, in place.
     *
     * @param scratch at least {@code ceil(length / worldSize)} elements of data's type, overwritten
     */
    static void run(Transport transport, long seq, Object data, int offset, int length, ReduceOp op, Object scratch) {
        new RingAllReduce(transport, seq, data, offset, length, op, scratch, 0).pipeline(2 * Ring.of(transport).size() - 1);
    }

    /**
     * Phase 1 only, arranged so that rank r ends with chunk r of {@code new ChunkPlan(length,
     * worldSize)} fully reduced (AVG divided) in place; the other chunks of {@code data} are left
     * holding partial results or their inputs (see Transport.receiveReduceSend).
     *
     * @param scratch at least {@code ceil(length / worldSize)} elements of data's type, overwritten
     */
    static void reduceScatter(Transport transport, long seq, Object data, int offset, int length, ReduceOp op,
                              Object scratch) {
        new RingAllReduce(transport, seq, data, offset, length, op, scratch, 1).pipeline(Ring.of(transport).size());
    }

    /**
     * Piece size for a ring of {@code n} ranks: {@link #PIECE_BYTES}, or less where N ticks of
     * 2 (N - 1) pieces would exceed {@link #IN_FLIGHT_BYTES} (see the buffering note), but not
     * below {@link #MIN_PIECE_BYTES}.
     */
    static int pieceBytes(int n) {
        long perTick = (long) n * Math.max(1, 2 * (n - 1));
        return (int) Math.max(MIN_PIECE_BYTES, Math.min(PIECE_BYTES, IN_FLIGHT_BYTES / perTick));
    }

    /** Runs operations 0 .. ops - 1 of every piece, operation k of piece j in tick j + k, descending k within a tick. */
    private void pipeline(int ops) {
        for (int tick = 0; tick < pieces + ops - 1; tick++) {
            for (int k = Math.min(ops - 1, tick); k >= 0 && tick - k < pieces; k--) {
                operation(k, tick - k);
            }
        }
    }

    /** Operation k of piece j (see the pipelining note): phase 1 for k < N, phase 2 after. */
    private void operation(int k, int j) {
        int n = ring.size();
        if (k == 0) {
            send(REDUCE_SCATTER, ring.minus(shift), j);     // this rank's own chunk
        } else if (k < n) {
            int step = k - 1;
            int incoming = ring.minus(step + shift + 1);
            int at = at(incoming, j);
            int length = piece(incoming).length(j);
            Tag in = tag(REDUCE_SCATTER, incoming, j);
            if (k < n - 1) {
                // On to the right at once, as the next step's outgoing; this rank never reads the partial sum again.
                transport.receiveReduceSend(ring.left(), in, data, at, length, fold, scratch, ring.right(), in);
            } else {
                transport.receiveReduce(ring.left(), in, data, at, length, fold, scratch);
                Reductions.finish(op, data, at, length, n); // `incoming` is the chunk this rank owns
                if (shift == 0) {
                    send(ALL_GATHER, incoming, j);          // phase 2 starts
                }
            }
        } else {
            int step = k - n;
            int incoming = ring.minus(step);
            transport.receive(ring.left(), tag(ALL_GATHER, incoming, j), data, at(incoming, j),
                    piece(incoming).length(j));
            if (step < n - 2) {
                send(ALL_GATHER, incoming, j);
            }
        }
    }

    /** How chunk {@code c} is cut into the pipeline's {@link #pieces} pieces. */
    private ChunkPlan piece(int c) {
        return new ChunkPlan(plan.length(c), pieces);
    }

    /** Index in {@code data} of piece j of chunk c. */
    private int at(int chunk, int j) {
        return offset + plan.offset(chunk) + piece(chunk).offset(j);
    }

    private void send(int phase, int chunk, int j) {
        transport.send(ring.right(), tag(phase, chunk, j), data, at(chunk, j), piece(chunk).length(j));
    }

    /** Message ids: piece j of chunk c is (c * P + j) in phase 1 and ((N + c) * P + j) in phase 2. */
    private Tag tag(int phase, int chunk, int j) {
        return new Tag(seq, (phase * ring.size() + chunk) * pieces + j);
    }
}
