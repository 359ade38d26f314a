package io.torus.comm.transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * N ranks in one JVM, one {@link Inbox} per (receiver, sender) pair, for tests. Every pair is
 * connected. {@link #abort} breaks the whole group at once, as a network transport's abort
 * messages would.
 *
 * <pre>{@code
 * List<InMemoryTransport> ranks = InMemoryTransport.group(4);
 * // hand ranks.get(r) to the thread that plays rank r
 * }</pre>
 */
public final class InMemoryTransport implements Transport {
    private final Fabric fabric;
    private final int rank;
    private final AtomicBoolean closed = new AtomicBoolean();

    private InMemoryTransport(Fabric fabric, int rank) {
        this.fabric = fabric;
        this.rank = rank;
    }

    /** Creates the {@code worldSize} connected ends of one group, in rank order. */
    public static List<InMemoryTransport> group(int worldSize) {
        if (worldSize < 1) {
            throw new IllegalArgumentException("InMemoryTransport.group: world size " + worldSize + ": expected >= 1");
        }
        Fabric fabric = new Fabric(worldSize);
        List<InMemoryTransport> ends = new ArrayList<>(worldSize);
        for (int r = 0; r < worldSize; r++) {
            ends.add(new InMemoryTransport(fabric, r));
        }
        return List.copyOf(ends);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return fabric.worldSize;
    }

    @Override
    public void send(int peer, Tag tag, Object src, int offset, int length) {
        checkPeer("send", peer);
        Objects.checkFromIndexSize(offset, length, Elements.length(src));
        String context = "rank " + rank + " cannot send " + tag + " to rank " + peer;
        Failure failure = fabric.failure;
        if (failure != null) {
            throw new PeerLostException(failure.culprit, failure.reason, context);
        }
        if (fabric.closed.get(peer) != null) {
            throw new PeerLostException(peer, "closed its transport", context);
        }
        Object copy = io.torus.tensor.Storage.newArray(Elements.dtype(src), length);
        System.arraycopy(src, offset, copy, 0, length);
        fabric.inbox(peer, rank).put(new Parcel(tag, copy, length));
    }

    @Override
    public void receive(int peer, Tag tag, Object dst, int offset, int length) {
        checkPeer("receive", peer);
        Objects.checkFromIndexSize(offset, length, Elements.length(dst));
        Parcel parcel;
        try {
            parcel = fabric.inbox(rank, peer).take(tag, Duration.ofNanos(Long.MAX_VALUE));
        } catch (PeerLostException e) {
            abort(e.lostRank(), e.reason());
            throw e;
        }
        try {
            CollectiveMismatchException.check(rank, peer, tag, Elements.dtype(dst), length, parcel.tag,
                    Elements.dtype(parcel.data), parcel.length);
        } catch (CollectiveMismatchException e) {
            abort(rank, "aborted the group: " + e.getMessage());
            throw e;
        }
        System.arraycopy(parcel.data, 0, dst, offset, length);
    }

    @Override
    public void abort(int culpritRank, String reason) {
        fabric.fail(new Failure(culpritRank, reason));
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        fabric.closed.set(rank, Boolean.TRUE);
        for (int p = 0; p < fabric.worldSize; p++) {
            if (p != rank) {
                fabric.inbox(p, rank).finish();
                fabric.inbox(rank, p).fail(rank, "closed its transport");
            }
        }
    }

    private void checkPeer(String op, int peer) {
        if (peer < 0 || peer >= fabric.worldSize || peer == rank) {
            throw new IllegalArgumentException(op + ": peer " + peer + " is not another rank of this group (ranks 0.."
                    + (fabric.worldSize - 1) + ", this is rank " + rank + ")");
        }
    }

    @Override
    public String toString() {
        return "InMemoryTransport[rank " + rank + " of " + fabric.worldSize + "]";
    }

    private record Parcel(Tag tag, Object data, int length) {
    }

    private record Failure(int culprit, String reason) {
    }

    /** The inboxes of all ranks: {@code inboxes[receiver * worldSize + sender]}. */
    private static final class Fabric {
        final int worldSize;
        final List<Inbox<Parcel>> inboxes;
        final AtomicReferenceArray<Boolean> closed;
        volatile Failure failure;

        Fabric(int worldSize) {
            this.worldSize = worldSize;
            this.closed = new AtomicReferenceArray<>(worldSize);
            List<Inbox<Parcel>> all = new ArrayList<>(worldSize * worldSize);
            for (int receiver = 0; receiver < worldSize; receiver++) {
                for (int sender = 0; sender < worldSize; sender++) {
                    all.add(new Inbox<>(receiver, sender, parcel -> { }));
                }
            }
            this.inboxes = List.copyOf(all);
        }

        Inbox<Parcel> inbox(int receiver, int sender) {
            return inboxes.get(receiver * worldSize + sender);
        }

        synchronized void fail(Failure f) {
            if (failure != null) {
                return;
            }
            failure = f;
            inboxes.forEach(inbox -> inbox.fail(f.culprit, f.reason));
        }
    }
}
