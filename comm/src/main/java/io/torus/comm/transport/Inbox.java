package io.torus.comm.transport;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The queue of messages from one sender to one receiver, and the two ways it ends: the sender
 * finishes (said goodbye; what it sent before can still be taken) or the group fails (everything
 * queued is discarded and every take fails naming the culprit). A building block for
 * {@link Transport} implementations; thread-safe.
 *
 * @param <T> what the transport queues (a float array, a network buffer)
 */
public final class Inbox<T> {
    private final int owner;
    private final int sender;
    private final Consumer<? super T> discard;
    private final ArrayDeque<T> items = new ArrayDeque<>();
    private boolean finished;
    private int culprit = -1;
    private String reason;

    /**
     * @param owner   the receiving rank (for error messages)
     * @param sender  the sending rank
     * @param discard called for every item that is dropped instead of taken (to release buffers)
     */
    public Inbox(int owner, int sender, Consumer<? super T> discard) {
        this.owner = owner;
        this.sender = sender;
        this.discard = discard;
    }

    /** Queues {@code item}, or discards it if this inbox has failed. */
    public synchronized void put(T item) {
        if (reason != null) {
            discard.accept(item);
            return;
        }
        items.addLast(item);
        notifyAll();
    }

    /** The sender will send nothing more: once the queue is empty, takes fail naming it. */
    public synchronized void finish() {
        finished = true;
        notifyAll();
    }

    /**
     * Fails this inbox: queued items are discarded and every pending and later take throws a
     * {@link PeerLostException} naming {@code culpritRank}. The first failure wins.
     */
    public synchronized void fail(int culpritRank, String why) {
        if (reason != null) {
            return;
        }
        culprit = culpritRank;
        reason = why;
        for (T item; (item = items.pollFirst()) != null; ) {
            discard.accept(item);
        }
        notifyAll();
    }

    /**
     * Takes the next item, waiting up to {@code timeout} for it.
     *
     * @param expected what the caller is waiting for (for error messages only)
     * @throws PeerLostException if this inbox failed, the sender finished and nothing is queued, or
     *                           nothing arrived in time (the sender is blamed)
     */
    public synchronized T take(Tag expected, Duration timeout) {
        long timeoutNanos = timeout.toNanos();
        long start = System.nanoTime();
        while (true) {
            if (reason != null) {
                throw new PeerLostException(culprit, reason, context(expected));
            }
            T item = items.pollFirst();
            if (item != null) {
                return item;
            }
            if (finished) {
                throw new PeerLostException(sender, "closed its transport", context(expected));
            }
            long left = timeoutNanos - (System.nanoTime() - start);
            if (left <= 0) {
                throw new PeerLostException(sender, "sent nothing for " + timeout + " (is it stuck?)", context(expected));
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(context(expected) + ": interrupted", e);
            }
        }
    }

    private String context(Tag expected) {
        return "rank " + owner + " cannot receive " + expected + " from rank " + sender;
    }
}
