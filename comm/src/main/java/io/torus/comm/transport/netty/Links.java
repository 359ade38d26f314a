package io.torus.comm.transport.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.torus.comm.protocol.Abort;
import io.torus.comm.protocol.Chunk;
import io.torus.comm.protocol.Goodbye;
import io.torus.comm.protocol.Hello;
import io.torus.comm.transport.Inbox;
import io.torus.comm.transport.PeerLostException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/*
 * What one NettyTransport knows about its peers once connect() has named them, and how the group
 * breaks.
 *
 * Each rank has at most two connections per peer: the one it opened (outbound, it sends data on
 * it) and the one the peer opened (inbound, data from the peer arrives on it). For the ring that is
 * one outbound connection to the right neighbour and one inbound from the left; with two ranks
 * both are to the same peer.
 *
 * A peer can go in three ways, and the difference matters at the end of every job, when ranks
 * close one after another while a slower one may still be reading data already sent to it:
 *  - Goodbye, then the connection closes: the peer closed on purpose. What it sent stays in its
 *    inbox; only a receive that needs more from it fails (Inbox.finish), and so do sends to it.
 *    Only the Goodbye on the inbound connection ends the inbox: the two connections are separate
 *    TCP streams, so a Goodbye on the outbound one may overtake data still travelling on the
 *    inbound one (with two ranks, a barrier's last token and the peer's Goodbye do exactly that).
 *  - A connection closes or errors before its own Goodbye: the process exited or was killed. The
 *    group is broken now.
 *  - Abort(culprit, reason) arrives: another rank found the group broken. Broken here too, naming
 *    the same culprit, so that every rank's error names the rank that was really lost.
 * Breaking (fail) is idempotent: the first failure wins; it fails every inbox, so pending and later
 * receives throw PeerLostException naming the culprit, and it sends Abort on every connection, so
 * the news travels around the ring in both directions even to ranks that are not neighbours of
 * the culprit. (Hazelcast's membership listener adds a second path, for peers that hang.)
 */
final class Links {
    private static final Logger log = LoggerFactory.getLogger(Links.class);
    private static final String CLOSED_WITHOUT_GOODBYE =
            "closed its connection without saying goodbye (its process exited or was killed";

    final int rank;
    final int worldSize;
    final int left;
    final int right;
    final CompletableFuture<Void> leftReady = new CompletableFuture<>();
    final CompletableFuture<Void> rightReady = new CompletableFuture<>();

    private final List<Inbox<Chunk>> inboxes;
    private final Channel[] outbound;
    private final Channel[] inbound;
    /** Per direction (see {@link Direction}), which peers have said goodbye on that connection. */
    private final boolean[][] saidGoodbye;
    private volatile PeerLostException failure;
    private volatile boolean closing;
    private volatile Throwable lastConnectError;

    Links(int rank, int worldSize) {
        this.rank = rank;
        this.worldSize = worldSize;
        this.left = Math.floorMod(rank - 1, worldSize);
        this.right = Math.floorMod(rank + 1, worldSize);
        List<Inbox<Chunk>> all = new ArrayList<>(worldSize);
        for (int p = 0; p < worldSize; p++) {
            all.add(new Inbox<>(rank, p, Chunk::release));
        }
        this.inboxes = List.copyOf(all);
        this.outbound = new Channel[worldSize];
        this.inbound = new Channel[worldSize];
        this.saidGoodbye = new boolean[Direction.values().length][worldSize];
    }

    /** Which end opened a connection: the peer (data from it arrives here) or this rank (data to it leaves here). */
    enum Direction {
        INBOUND, OUTBOUND
    }

    // ---- handshake ----------------------------------------------------------------------------

    /** Checks the Hello that answered our connection to {@code expected}; null if good, else why not. */
    synchronized String acceptOutbound(Hello hello, Channel ch, int expected) {
        String problem = check(hello, expected, "connected to " + ch.remoteAddress() + " expecting rank " + expected, "answered");
        if (problem == null) {
            outbound[expected] = ch;
        }
        return problem;
    }

    /** Checks the Hello of a peer that connected to us; null if good, else why not. */
    synchronized String acceptInbound(Hello hello, Channel ch) {
        String problem = check(hello, left, "expected its left neighbour rank " + left + " to connect", "connected");
        if (problem == null && inbound[left] != null) {
            problem = "rank " + rank + ": rank " + left + " connected twice";
        }
        if (problem == null) {
            inbound[left] = ch;
        }
        return problem;
    }

    private String check(Hello hello, int expected, String what, String verb) {
        if (hello.worldSize() != worldSize) {
            return "rank " + rank + " " + what + ", but the peer says it is rank " + hello.rank() + " of "
                    + hello.worldSize() + " ranks, not " + worldSize;
        }
        if (hello.rank() != expected) {
            return "rank " + rank + " " + what + ", but rank " + hello.rank() + " " + verb
                    + " (are the peer addresses in rank order?)";
        }
        return null;
    }

    void connectFailed(Throwable cause) {
        lastConnectError = cause;
    }

    /** Why connect() is still waiting, for its timeout message. */
    String waitingFor(SocketAddress rightAddress) {
        List<String> missing = new ArrayList<>();
        if (!rightReady.isDone()) {
            Throwable e = lastConnectError;
            missing.add("right neighbour rank " + right + " at " + rightAddress + " did not answer"
                    + (e == null ? "" : " (last error: " + e.getMessage() + ")"));
        }
        if (!leftReady.isDone()) {
            missing.add("left neighbour rank " + left + " has not connected");
        }
        return String.join("; ", missing);
    }

    // ---- events from the connections ---------------------------------------------------------

    void onChunk(int peer, Chunk chunk) {
        inboxes.get(peer).put(chunk);
    }

    void onGoodbye(int peer, Direction direction) {
        synchronized (this) {
            saidGoodbye[direction.ordinal()][peer] = true;
        }
        log.debug("rank {}: rank {} said goodbye on the {} connection", rank, peer, direction);
        if (direction == Direction.INBOUND) {
            inboxes.get(peer).finish();
        }
    }

    void onAbort(int from, Abort abort) {
        String suffix = " (reported by rank " + from + ")";
        fail(abort.culpritRank(), abort.reason().contains("(reported by") ? abort.reason() : abort.reason() + suffix);
    }

    void onClosed(int peer, Direction direction) {
        if (!closing && !saidGoodbye(peer, direction)) {
            fail(peer, CLOSED_WITHOUT_GOODBYE + ")");
        }
    }

    void onError(int peer, Direction direction, Throwable cause) {
        if (closing || saidGoodbye(peer, direction)) {
            return;
        }
        if (cause instanceof IOException) { // e.g. "Connection reset by peer": the process died
            fail(peer, CLOSED_WITHOUT_GOODBYE + ": " + cause.getMessage() + ")");
        } else {
            fail(peer, "broke the connection (" + cause + ")");
        }
    }

    // ---- the failure state ---------------------------------------------------------------------

    /** Breaks the group, blaming {@code culprit}; see the class comment. First failure wins. */
    void fail(int culprit, String reason) {
        List<Channel> channels;
        synchronized (this) {
            if (failure != null) {
                return;
            }
            failure = new PeerLostException(culprit, reason, "rank " + rank + ": group broken");
            channels = channels();
        }
        if (closing) {
            log.debug("rank {}: group broken while closing: rank {} {}", rank, culprit, reason);
        } else {
            log.warn("rank {}: group broken: rank {} {}", rank, culprit, reason);
        }
        inboxes.forEach(inbox -> inbox.fail(culprit, reason));
        leftReady.completeExceptionally(failure);
        rightReady.completeExceptionally(failure);
        Abort abort = new Abort(culprit, reason);
        for (Channel ch : channels) {
            if (ch.isActive()) {
                ch.writeAndFlush(abort);
            }
        }
    }

    /** Throws the group's failure, or {@code peer}'s goodbye, as seen by an operation described by {@code context}. */
    void checkSendable(int peer, String context) {
        PeerLostException f = failure;
        if (f != null) {
            throw new PeerLostException(f.lostRank(), f.reason(), context);
        }
        if (saidGoodbye(peer, Direction.INBOUND) || saidGoodbye(peer, Direction.OUTBOUND)) {
            throw new PeerLostException(peer, "closed its transport", context);
        }
    }

    boolean failed() {
        return failure != null;
    }

    Inbox<Chunk> inbox(int peer) {
        return inboxes.get(peer);
    }

    synchronized Channel outbound(int peer) {
        Channel ch = outbound[peer];
        if (ch == null) {
            throw new IllegalStateException("rank " + rank + " has no connection to rank " + peer
                    + ": NettyTransport connects the ring only (this rank sends to its right neighbour " + right + ")");
        }
        return ch;
    }

    private synchronized boolean saidGoodbye(int peer, Direction direction) {
        return saidGoodbye[direction.ordinal()][peer];
    }

    private synchronized List<Channel> channels() {
        List<Channel> all = new ArrayList<>();
        for (int p = 0; p < worldSize; p++) {
            if (outbound[p] != null) {
                all.add(outbound[p]);
            }
            if (inbound[p] != null) {
                all.add(inbound[p]);
            }
        }
        return all;
    }

    /**
     * Says goodbye on every connection (unless the group is already broken), closes them and fails
     * this rank's own inboxes so that a receive blocked here wakes up.
     *
     * @return the connections' close futures
     */
    List<io.netty.channel.ChannelFuture> close() {
        closing = true;
        List<io.netty.channel.ChannelFuture> closed = new ArrayList<>();
        for (Channel ch : channels()) {
            if (failure == null && ch.isActive()) {
                ch.writeAndFlush(Goodbye.INSTANCE).addListener(ChannelFutureListener.CLOSE);
            } else {
                ch.close();
            }
            closed.add(ch.closeFuture());
        }
        inboxes.forEach(inbox -> inbox.fail(rank, "closed its transport"));
        IllegalStateException closedEarly = new IllegalStateException("rank " + rank + ": transport closed while connecting");
        leftReady.completeExceptionally(closedEarly);
        rightReady.completeExceptionally(closedEarly);
        return closed;
    }
}
