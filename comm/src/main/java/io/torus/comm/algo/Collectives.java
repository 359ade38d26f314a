package io.torus.comm.algo;

import io.torus.comm.ReduceOp;
import io.torus.comm.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;

/**
 * The collectives of one rank, on float slices, over a {@link Transport}: the layer that
 * {@code ProcessGroup} implementations call. Picks the algorithm (ring, naive for tiny vectors,
 * nothing for a world of one), numbers every collective with a sequence number and logs it.
 *
 * <p>Contract: every rank issues the same collectives, with the same lengths (and the same root),
 * in the same order. Misuse fails with a {@link io.torus.comm.transport.CollectiveMismatchException}
 * on some rank and breaks the group, e.g.:
 * <pre>{@code
 * // rank 0                                // rank 1
 * c.allReduce(grads, 0, 1000, SUM);        c.broadcast(weights, 0, 1000, 0);   // different collectives
 * c.allReduce(x, 0, 10, SUM);              c.allReduce(x, 0, 11, SUM);         // different lengths
 * }</pre>
 * Not thread-safe: one thread issues the collectives (the group's communication thread).
 */
public final class Collectives {
    private static final Logger log = LoggerFactory.getLogger(Collectives.class);
    /** Vectors of at most this many floats take {@code NaiveAllReduce} by default. */
    public static final int DEFAULT_NAIVE_MAX_ELEMENTS = 1024;

    private final Transport transport;
    private final int naiveMaxElements;
    private long nextSeq;
    private float[] scratch = new float[0];

    public Collectives(Transport transport) {
        this(transport, DEFAULT_NAIVE_MAX_ELEMENTS);
    }

    /**
     * @param naiveMaxElements all-reduces of at most this many floats use the naive algorithm,
     *                         longer ones the ring; -1 sends everything through the ring
     */
    public Collectives(Transport transport, int naiveMaxElements) {
        this.transport = Objects.requireNonNull(transport, "transport");
        if (naiveMaxElements < -1) {
            throw new IllegalArgumentException("Collectives: naiveMaxElements " + naiveMaxElements + ": expected >= -1");
        }
        this.naiveMaxElements = naiveMaxElements;
    }

    public int rank() {
        return transport.rank();
    }

    public int worldSize() {
        return transport.worldSize();
    }

    /** Number of collectives issued so far; the next one gets this sequence number. */
    public long issued() {
        return nextSeq;
    }

    /** Combines {@code data[offset, offset + length)} across all ranks with {@code op}, in place. */
    public void allReduce(float[] data, int offset, int length, ReduceOp op) {
        Objects.requireNonNull(op, "op");
        Objects.checkFromIndexSize(offset, length, data.length);
        long seq = begin("allReduce", length, "op " + op);
        long start = System.nanoTime();
        int n = worldSize();
        if (n > 1 && length <= naiveMaxElements) {
            NaiveAllReduce.run(transport, seq, data, offset, length, op, scratch((long) n * length));
        } else if (n > 1) {
            RingAllReduce.run(transport, seq, data, offset, length, op, scratch(new ChunkPlan(length, n).maxLength()));
        }
        end("allReduce", seq, start);
    }

    /** Copies {@code root}'s {@code data[offset, offset + length)} into every other rank's. */
    public void broadcast(float[] data, int offset, int length, int root) {
        Objects.checkFromIndexSize(offset, length, data.length);
        if (root < 0 || root >= worldSize()) {
            throw new IllegalArgumentException("broadcast: root " + root + ": expected a rank 0.." + (worldSize() - 1));
        }
        long seq = begin("broadcast", length, "root " + root);
        long start = System.nanoTime();
        if (worldSize() > 1) {
            RingBroadcast.run(transport, seq, data, offset, length, root);
        }
        end("broadcast", seq, start);
    }

    /**
     * Gathers every rank's {@code input[inOffset, inOffset + length)} into {@code output}: rank r's
     * slice lands at {@code output[outOffset + r * length, ... + length)}.
     */
    public void allGather(float[] input, int inOffset, int length, float[] output, int outOffset) {
        Objects.checkFromIndexSize(inOffset, length, input.length);
        long gathered = (long) length * worldSize();
        if (outOffset < 0 || outOffset + gathered > output.length) {
            throw new IndexOutOfBoundsException("allGather: output of " + output.length + " floats from offset "
                    + outOffset + " cannot hold " + worldSize() + " x " + length + " floats");
        }
        long seq = begin("allGather", length, "");
        long start = System.nanoTime();
        System.arraycopy(input, inOffset, output, outOffset + rank() * length, length);
        if (worldSize() > 1) {
            RingAllGather.inPlace(transport, seq, output, outOffset, length);
        }
        end("allGather", seq, start);
    }

    /** Returns once every rank has entered the barrier. */
    public void barrier() {
        long seq = begin("barrier", 0, "");
        long start = System.nanoTime();
        if (worldSize() > 1) {
            RingBarrier.run(transport, seq);
        }
        end("barrier", seq, start);
    }

    private long begin(String what, int length, String detail) {
        long seq = nextSeq++;
        log.debug("rank {} seq {} {} start: {} floats{}", rank(), seq, what, length, detail.isEmpty() ? "" : ", " + detail);
        return seq;
    }

    private void end(String what, long seq, long startNanos) {
        if (log.isDebugEnabled()) {
            log.debug("rank {} seq {} {} done in {} us", rank(), seq, what, (System.nanoTime() - startNanos) / 1000);
        }
    }

    private float[] scratch(long floats) {
        if (floats > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("collective needs a scratch buffer of " + floats
                    + " floats, more than a Java array holds");
        }
        if (scratch.length < floats) {
            scratch = new float[(int) floats];
        }
        return scratch;
    }
}
