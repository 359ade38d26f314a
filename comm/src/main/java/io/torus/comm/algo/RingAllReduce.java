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
 * a rank's link idles while it reduces, its CPU while it waits. So every chunk travels in pieces
 * of at most PIECE_BYTES (512 KiB), and a piece is passed on the moment it is ready: rank r
 * receives piece j of step s, folds it in and sends it right as piece j of step s + 1 while piece
 * j + 1 is still arriving from the left; the last fold of the owned chunk flows straight into
 * phase 2 piece by piece. Sending (the event loop writing the previous pieces), receiving (the
 * event loop reading the next ones) and reducing (this thread) then overlap, and a step costs
 * about one piece of latency instead of one chunk. The arithmetic and its order are unchanged,
 * so results stay bit-identical. A reduce-scatter receive is a Transport.receiveReduce: most
 * transports receive into the scratch array and fold from there; the shared-memory one folds
 * straight out of its mapped ring (one pass over the piece fewer), with the same element-wise
 * arithmetic (Reductions.fold).
 *
 * Send window. A rank starts by sending its whole own chunk, S/N bytes, before it receives
 * anything; a transport with bounded buffers (the shared-memory ring) cannot take that at once,
 * and a TCP receiver would queue it all in memory. So sends go through an outbox in wire order
 * and leave it only while this rank has sent at most SEND_AHEAD pieces more than it has received:
 * the own chunk trickles out as the left neighbour's pieces arrive, and the ring stays paced. The
 * order on the wire is unchanged. The outbox never holds more than (pieces of chunk 0) -
 * SEND_AHEAD pieces, always the latest ones, while at least N - 1 whole chunks are queued after
 * any piece before this rank overwrites that piece's elements (all-gather receives), so a queued
 * piece is always sent before its elements change. What is left at the end is sent then.
 *
 * Message tags: piece j of chunk c is id c * P + j in phase 1 and (N + c) * P + j in phase 2,
 * where P is the number of pieces of chunk 0 (the largest), the same on every rank.
 *
 * Reduce-scatter alone (ProcessGroup.reduceScatter) is phase 1 shifted by one chunk: rank r
 * starts by sending chunk (r - 1), so that it ends owning chunk r, which is what the caller wants
 * from rank r. Same messages, same cost (N - 1)/N S, same determinism.
 */
final class RingAllReduce {
    private static final int REDUCE_SCATTER = 0;
    private static final int ALL_GATHER = 1;
    /** The pipeline's unit: chunks travel in pieces of at most this many bytes (see the pipelining note). */
    static final int PIECE_BYTES = 1 << 19;
    /** Pieces a rank may have sent beyond those it has received (see the send-window note). */
    static final int SEND_AHEAD = 4;

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
    private final int pieceElements;
    private final int maxPieces;
    /** Pieces waiting for the send window, in wire order: {phase, chunk, piece}. */
    private final java.util.ArrayDeque<int[]> outbox = new java.util.ArrayDeque<>();
    private long sent;
    private long received;

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
        this.pieceElements = PIECE_BYTES / Elements.byteSize(Elements.dtype(data));
        this.maxPieces = pieces(0).parts();
    }

    /**
     * Reduces {@code data[offset, offset + length)} across all ranks, in place.
     *
     * @param scratch at least {@code ceil(length / worldSize)} elements of data's type, overwritten
     */
    static void run(Transport transport, long seq, Object data, int offset, int length, ReduceOp op, Object scratch) {
        RingAllReduce ring = new RingAllReduce(transport, seq, data, offset, length, op, scratch, 0);
        ring.reduceScatter();
        ring.allGather();
        ring.flushAll();
    }

    /**
     * Phase 1 only, arranged so that rank r ends with chunk r of {@code new ChunkPlan(length,
     * worldSize)} fully reduced (AVG divided) in place; the other chunks of {@code data} are left
     * holding partial results.
     *
     * @param scratch at least {@code ceil(length / worldSize)} elements of data's type, overwritten
     */
    static void reduceScatter(Transport transport, long seq, Object data, int offset, int length, ReduceOp op,
                              Object scratch) {
        RingAllReduce ring = new RingAllReduce(transport, seq, data, offset, length, op, scratch, 1);
        ring.reduceScatter();
        ring.flushAll();
    }

    private void reduceScatter() {
        int n = ring.size();
        int first = ring.minus(shift);              // this rank's own chunk, sent whole at once
        for (int j = 0; j < pieces(first).parts(); j++) {
            send(REDUCE_SCATTER, first, j);
        }
        for (int step = 0; step < n - 1; step++) {
            int incoming = ring.minus(step + shift + 1);
            boolean last = step == n - 2;           // then `incoming` is the chunk this rank owns
            ChunkPlan p = pieces(incoming);
            for (int j = 0; j < p.parts(); j++) {
                int at = offset + plan.offset(incoming) + p.offset(j);
                receiveReduce(incoming, j, at);
                if (!last) {
                    send(REDUCE_SCATTER, incoming, j);  // on to the right at once: the next step's outgoing
                } else {
                    Reductions.finish(op, data, at, p.length(j), n);
                    if (shift == 0) {
                        send(ALL_GATHER, incoming, j);  // phase 2 starts piece by piece
                    }
                }
            }
        }
    }

    private void allGather() {
        int n = ring.size();
        for (int step = 0; step < n - 1; step++) {
            int incoming = ring.minus(step);
            ChunkPlan p = pieces(incoming);
            for (int j = 0; j < p.parts(); j++) {
                receive(ALL_GATHER, incoming, j, data, offset + plan.offset(incoming) + p.offset(j));
                if (step < n - 2) {
                    send(ALL_GATHER, incoming, j);
                }
            }
        }
    }

    /** How chunk {@code c} is cut into pieces, the unit of the pipeline (at most {@link #PIECE_BYTES} each). */
    private ChunkPlan pieces(int c) {
        return ChunkPlan.ofMaxLength(plan.length(c), pieceElements);
    }

    /** Queues a piece for the right neighbour; it leaves as soon as the send window allows. */
    private void send(int phase, int chunk, int piece) {
        outbox.addLast(new int[] {phase, chunk, piece});
        flush();
    }

    private void flush() {
        while (!outbox.isEmpty() && sent < received + SEND_AHEAD) {
            int[] next = outbox.pollFirst();
            sendNow(next[0], next[1], next[2]);
        }
    }

    private void flushAll() {
        while (!outbox.isEmpty()) {
            int[] next = outbox.pollFirst();
            sendNow(next[0], next[1], next[2]);
        }
    }

    private void sendNow(int phase, int chunk, int piece) {
        sent++;
        ChunkPlan p = pieces(chunk);
        transport.send(ring.right(), tag(phase, chunk, piece), data, offset + plan.offset(chunk) + p.offset(piece),
                p.length(piece));
    }

    private void receive(int phase, int chunk, int piece, Object into, int at) {
        transport.receive(ring.left(), tag(phase, chunk, piece), into, at, pieces(chunk).length(piece));
        received++;
        flush();
    }

    /** Receives piece j of chunk c of phase 1 and folds it into data at {@code at} (fused where the transport can). */
    private void receiveReduce(int chunk, int piece, int at) {
        transport.receiveReduce(ring.left(), tag(REDUCE_SCATTER, chunk, piece), data, at, pieces(chunk).length(piece),
                fold, scratch);
        received++;
        flush();
    }

    /** Message ids: piece j of chunk c is (c * P + j) in phase 1 and ((N + c) * P + j) in phase 2, P = pieces of chunk 0. */
    private Tag tag(int phase, int chunk, int piece) {
        return new Tag(seq, (phase * ring.size() + chunk) * maxPieces + piece);
    }
}
