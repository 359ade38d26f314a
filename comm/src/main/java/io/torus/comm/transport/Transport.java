package io.torus.comm.transport;

/**
 * Moves element arrays (see {@link Elements}: float[], double[], long[], int[], boolean[]) between
 * the ranks of one group: the only thing collective algorithms
 * ({@code io.torus.comm.algo}) talk to. Implementations: {@link InMemoryTransport} (ranks as
 * threads, for tests) and {@code io.torus.comm.transport.netty.NettyTransport} (TCP).
 *
 * <p>Contract:
 * <ul>
 *   <li>Messages from one sender to one receiver arrive in the order they were sent. Each carries a
 *       {@link Tag}; {@link #receive} takes the next message from that peer and fails with
 *       {@link CollectiveMismatchException} if its tag, element type or length is not the expected one.</li>
 *   <li>{@link #send} copies the data before it returns and does not wait for the receiver to call
 *       {@link #receive}, so "send to the right, then receive from the left" cannot deadlock.</li>
 *   <li>A transport may connect only some pairs of ranks: {@code NettyTransport} connects the ring
 *       (each rank sends to {@code rank + 1} and receives from {@code rank - 1}, modulo the world
 *       size), which is all the algorithms of this milestone use.</li>
 *   <li>One thread at a time calls {@code send} and {@code receive}; {@link #abort} and
 *       {@link #close} may be called from any thread.</li>
 *   <li>Once a peer is lost (its connection drops, it closes while we still expect data from it,
 *       or someone calls {@link #abort}), every pending and later send and receive fails with a
 *       {@link PeerLostException} naming that peer, on this rank and, for networked transports, on
 *       every rank this one can still reach.</li>
 * </ul>
 */
public interface Transport extends AutoCloseable {
    /** This end's rank, {@code 0 <= rank < worldSize}. */
    int rank();

    /** Number of ranks in the group. */
    int worldSize();

    /**
     * Sends {@code src[offset, offset + length)} to {@code peer}, tagged {@code tag}. Returns once
     * the data is copied; an empty message ({@code length == 0}) is still delivered.
     *
     * @param src an element array (see {@link Elements}); its dtype travels with the data
     * @throws PeerLostException if the group is broken or {@code peer} has left
     */
    void send(int peer, Tag tag, Object src, int offset, int length);

    /**
     * Waits for the next message from {@code peer} and copies it into
     * {@code dst[offset, offset + length)}.
     *
     * @param dst an element array of the dtype the sender sent
     * @throws CollectiveMismatchException if the message's tag, dtype or length differ from the expected ones
     * @throws PeerLostException           if the group is broken or {@code peer} left before sending it
     */
    void receive(int peer, Tag tag, Object dst, int offset, int length);

    /**
     * Waits for the next message from {@code peer}, which must be {@code length} elements of
     * {@code dst}'s dtype tagged {@code tag}, and folds it into {@code dst[offset, offset + length)}
     * with {@code fold}: a receive followed by a reduction, as a ring's reduce-scatter does at
     * every step. Same checks and failures as {@link #receive}.
     *
     * <p>The default receives into {@code scratch[0, length)} and folds from there. A transport
     * that holds the message in memory it can read (the shared-memory ring) folds straight from
     * it instead, saving a pass over the data; {@code scratch} is then left untouched. Either way
     * every element is folded once, in the same arithmetic, so results are bit-identical. If the
     * receive fails part-way, {@code dst} may hold some folded fragments.
     *
     * @param scratch an array of {@code dst}'s dtype with at least {@code length} elements
     */
    default void receiveReduce(int peer, Tag tag, Object dst, int offset, int length, Fold fold, Object scratch) {
        receive(peer, tag, scratch, 0, length);
        fold.fold(dst, offset, scratch, 0, length);
    }

    /**
     * The ranks' shared memory windows, when this transport has them (the shared-memory one);
     * null by default. A decorating transport passes its inner transport's on.
     */
    default SharedWindows sharedWindows() {
        return null;
    }

    /**
     * A reduce-scatter step whose result goes on at once: waits for the next message from
     * {@code peer} (as {@link #receiveReduce}), folds it with {@code dst[offset, offset + length)}
     * and sends the result to {@code to} tagged {@code outTag}, exactly what {@code receiveReduce}
     * followed by {@code send(to, outTag, dst, offset, length)} sends. Same checks and failures as
     * both. Afterwards each element of {@code dst[offset, offset + length)} holds either the folded
     * value or its old one: a transport may write the fold straight into the outgoing message
     * without storing it (the shared-memory ring: one read of each operand, one write, no pass
     * over {@code dst}'s copy), so use this only where the caller no longer needs the slice.
     *
     * <p>The default is {@code receiveReduce} then {@code send}.
     *
     * @param scratch an array of {@code dst}'s dtype with at least {@code length} elements
     */
    default void receiveReduceSend(int peer, Tag tag, Object dst, int offset, int length, Fold fold, Object scratch,
                                   int to, Tag outTag) {
        receiveReduce(peer, tag, dst, offset, length, fold, scratch);
        send(to, outTag, dst, offset, length);
    }

    /**
     * Declares the group broken because of {@code culpritRank} (a lost peer, or this rank after a
     * failure of its own): every pending and later send and receive fails with a
     * {@link PeerLostException} naming it, and connected peers are told so that they fail too.
     * Idempotent: the first call wins.
     */
    void abort(int culpritRank, String reason);

    /**
     * Closes this end. Peers may still read what was sent before; their receives that need more
     * from this rank fail. A receive blocked on this transport fails. Idempotent.
     */
    @Override
    void close();
}
