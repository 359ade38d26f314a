package io.torus.comm.transport;

import io.torus.tensor.DType;

import java.nio.ByteBuffer;

/**
 * What a transport offers when its ranks can read each other's memory (the shared-memory one):
 * one window per rank, a byte region every rank maps, that its owner writes and everyone reads,
 * plus two progress counters per rank. Collectives on small vectors use it to skip the ring's
 * hops (see {@code io.torus.comm.algo.SharedMemoryAllReduce}); {@link Transport#sharedWindows()}
 * returns null on transports without it.
 *
 * <p>Protocol, the same on every rank: {@link #begin} (waits until every rank has {@link #end}ed
 * the previous collective on the windows, so that this rank may overwrite its own window), then
 * writes into its own window and {@link #publish}es how far it got; {@link #await}s other ranks'
 * counters before it reads the parts of their windows they cover; and {@link #end}s. Counters
 * start at 0 with every collective and only grow within it.
 *
 * <p>Failures are those of the transport: a waiting rank fails with {@link PeerLostException}
 * naming the rank that died, closed or aborted, and with {@link CollectiveMismatchException} when
 * another rank announced a different collective, dtype or length (and the group breaks).
 * Called by the one thread that issues collectives, like {@link Transport#send}.
 */
public interface SharedWindows {
    /** Counter for "how much of my window is written for this collective" (the algorithm's unit). */
    int WRITTEN = 0;
    /** Counter for "how much of my result is published for this collective" (the algorithm's unit). */
    int REDUCED = 1;

    /** Capacity of every rank's window in bytes: the largest vector the windows take. */
    int windowBytes();

    /**
     * Starts a collective on the windows: waits until every rank has ended the previous one, then
     * announces {@code tag}, {@code dtype} and {@code length} (checked by the peers' waits).
     */
    void begin(Tag tag, DType dtype, int length);

    /**
     * Rank {@code rank}'s window, little-endian, {@link #windowBytes()} long. Shared: use absolute
     * indexes or a duplicate. Only this rank's own window may be written.
     */
    ByteBuffer window(int rank);

    /** Publishes this rank's counter {@code which} ({@link #WRITTEN} or {@link #REDUCED}): a release store. */
    void publish(int which, long value);

    /**
     * Waits until {@code rank} has begun the same collective and published counter {@code which}
     * of at least {@code value}; what it wrote before publishing is then visible.
     */
    void await(int rank, int which, long value);

    /** Ends this rank's part of the current collective (call it in a finally). */
    void end();
}
