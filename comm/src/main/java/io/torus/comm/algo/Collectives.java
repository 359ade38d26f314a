package io.torus.comm.algo;

import io.torus.comm.ReduceOp;
import io.torus.comm.transport.Elements;
import io.torus.comm.transport.Transport;
import io.torus.tensor.DType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * The collectives of one rank, on slices of element arrays ({@link Elements}: float[], double[],
 * long[], int[], boolean[]), over a {@link Transport}: the layer that
 * {@code ProcessGroup} implementations call. Picks the algorithm (ring, naive for tiny vectors,
 * shared windows for small ones on one machine when the transport has them, nothing for a world
 * of one), numbers every collective with a sequence number and logs it.
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
    /** Vectors of at most this many elements take {@code NaiveAllReduce} by default. */
    public static final int DEFAULT_NAIVE_MAX_ELEMENTS = 1024;

    private final Transport transport;
    private final int naiveMaxElements;
    private long nextSeq;
    /** Reused between collectives, one per dtype (a float[], a double[], ...). */
    private final Map<DType, Object> scratch = new EnumMap<>(DType.class);

    public Collectives(Transport transport) {
        this(transport, DEFAULT_NAIVE_MAX_ELEMENTS);
    }

    /**
     * @param naiveMaxElements all-reduces of at most this many elements use the naive algorithm,
     *                         longer ones the shared windows when the transport has them and they
     *                         fit (SharedMemoryAllReduce), else the ring; -1 sends everything through the ring
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

    /**
     * Combines {@code data[offset, offset + length)} across all ranks with {@code op}, in place.
     * Per-dtype semantics (integer AVG truncates, BOOL SUM is "or") are in {@code Reductions}.
     *
     * @throws IllegalArgumentException for AVG on a boolean[] (before anything is sent)
     */
    public void allReduce(Object data, int offset, int length, ReduceOp op) {
        DType dtype = checkReduce("allReduce", data, offset, length, op);
        long seq = begin("allReduce", dtype, length, "op " + op);
        long start = System.nanoTime();
        int n = worldSize();
        if (n > 1 && length <= naiveMaxElements) {
            NaiveAllReduce.run(transport, seq, data, offset, length, op, scratch(dtype, (long) n * length));
        } else if (n > 1 && naiveMaxElements >= 0 && SharedMemoryAllReduce.fits(transport.sharedWindows(), dtype, length)) {
            SharedMemoryAllReduce.run(transport, transport.sharedWindows(), seq, data, offset, length, op);
        } else if (n > 1) {
            RingAllReduce.run(transport, seq, data, offset, length, op,
                    scratch(dtype, new ChunkPlan(length, n).maxLength()));
        }
        end("allReduce", seq, start);
    }

    /**
     * Reduces {@code data[offset, offset + length)} across all ranks with {@code op} and leaves
     * this rank's share in place: chunk {@code rank()} of {@code new ChunkPlan(length,
     * worldSize())} (the first {@code length % worldSize} ranks get one element more). The rest of
     * the slice is left unspecified (partial results, or the inputs).
     */
    public void reduceScatter(Object data, int offset, int length, ReduceOp op) {
        DType dtype = checkReduce("reduceScatter", data, offset, length, op);
        long seq = begin("reduceScatter", dtype, length, "op " + op);
        long start = System.nanoTime();
        int n = worldSize();
        if (n > 1) {
            RingAllReduce.reduceScatter(transport, seq, data, offset, length, op,
                    scratch(dtype, new ChunkPlan(length, n).maxLength()));
        }
        end("reduceScatter", seq, start);
    }

    private static DType checkReduce(String what, Object data, int offset, int length, ReduceOp op) {
        Objects.requireNonNull(op, "op");
        DType dtype = Elements.dtype(data);
        Objects.checkFromIndexSize(offset, length, Elements.length(data));
        if (op == ReduceOp.AVG && dtype == DType.BOOL) {
            throw new IllegalArgumentException(what + ": op AVG is not defined for dtype BOOL: use SUM (any), MAX (any) "
                    + "or MIN (all)");
        }
        return dtype;
    }

    /** Copies {@code root}'s {@code data[offset, offset + length)} into every other rank's. */
    public void broadcast(Object data, int offset, int length, int root) {
        Objects.checkFromIndexSize(offset, length, Elements.length(data));
        if (root < 0 || root >= worldSize()) {
            throw new IllegalArgumentException("broadcast: root " + root + ": expected a rank 0.." + (worldSize() - 1));
        }
        long seq = begin("broadcast", Elements.dtype(data), length, "root " + root);
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
    public void allGather(Object input, int inOffset, int length, Object output, int outOffset) {
        DType dtype = Elements.dtype(input);
        Objects.checkFromIndexSize(inOffset, length, Elements.length(input));
        if (Elements.dtype(output) != dtype) {
            throw new IllegalArgumentException("allGather: output of dtype " + Elements.dtype(output)
                    + " for input of dtype " + dtype + ": expected the same");
        }
        long gathered = (long) length * worldSize();
        if (outOffset < 0 || outOffset + gathered > Elements.length(output)) {
            throw new IndexOutOfBoundsException("allGather: output of " + Elements.length(output) + " elements from offset "
                    + outOffset + " cannot hold " + worldSize() + " x " + length + " elements");
        }
        long seq = begin("allGather", dtype, length, "");
        long start = System.nanoTime();
        System.arraycopy(input, inOffset, output, outOffset + rank() * length, length);
        if (worldSize() > 1) {
            RingAllGather.inPlace(transport, seq, output, outOffset, length);
        }
        end("allGather", seq, start);
    }

    /** Returns once every rank has entered the barrier. */
    public void barrier() {
        long seq = begin("barrier", DType.BOOL, 0, "");
        long start = System.nanoTime();
        if (worldSize() > 1) {
            RingBarrier.run(transport, seq);
        }
        end("barrier", seq, start);
    }

    private long begin(String what, DType dtype, int length, String detail) {
        long seq = nextSeq++;
        if (log.isDebugEnabled()) {
            log.debug("rank {} seq {} {} start: {} x {}{}", rank(), seq, what, length, dtype,
                    detail.isEmpty() ? "" : ", " + detail);
        }
        return seq;
    }

    private void end(String what, long seq, long startNanos) {
        if (log.isDebugEnabled()) {
            log.debug("rank {} seq {} {} done in {} us", rank(), seq, what, (System.nanoTime() - startNanos) / 1000);
        }
    }

    private Object scratch(DType dtype, long elements) {
        if (elements > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("collective needs a scratch buffer of " + elements
                    + " elements, more than a Java array holds");
        }
        Object s = scratch.get(dtype);
        if (s == null || Elements.length(s) < elements) {
            s = io.torus.tensor.Storage.newArray(dtype, (int) elements);
            scratch.put(dtype, s);
        }
        return s;
    }
}
